import { Field, Float, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Connection } from '../../common/pagination/connection.model.js';
import { DateTimeScalar } from '../../common/scalars/date-time.scalar.js';

export enum BacktestTrafficLightValue {
  GREEN = 'green',
  YELLOW = 'yellow',
  RED = 'red',
}
registerEnumType(BacktestTrafficLightValue, { name: 'BacktestTrafficLight' });

@ObjectType({
  description:
    'A stored daily backtest of one of your accounts (product "*") or of one product of it: the margin held ' +
    'at each day end against the next day realised loss, with the Kupiec and Christoffersen tests.',
})
export class BacktestResult {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  accountId!: string;

  @Field(() => String, { description: 'YYYY-MM-DD: the last day whose realised loss is used.' })
  businessDate!: string;

  @Field(() => String, { description: 'An underlying such as BTC-USD, or "*" for the whole account.' })
  product!: string;

  @Field(() => String)
  marginAsset!: string;

  @Field(() => Int)
  lookbackDays!: number;

  @Field(() => Float)
  confidence!: number;

  @Field(() => Int)
  observationCount!: number;

  @Field(() => Int)
  exceptionCount!: number;

  @Field(() => Float)
  coverageRatio!: number;

  @Field(() => Float)
  kupiecLikelihoodRatio!: number;

  @Field(() => Float)
  kupiecPValue!: number;

  @Field(() => Float, { nullable: true, description: 'Null with fewer than 2 observations.' })
  christoffersenIndependencePValue!: number | null;

  @Field(() => Float, { nullable: true })
  christoffersenConditionalCoveragePValue!: number | null;

  @Field(() => BacktestTrafficLightValue)
  trafficLight!: `${BacktestTrafficLightValue}`;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

export const BacktestResultConnection = Connection(BacktestResult, 'BacktestResult');
