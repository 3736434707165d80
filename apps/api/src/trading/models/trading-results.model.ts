import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { TradeSubmissionModeValue } from '../dto/submit-trades.input.js';

export enum TradeStatusValue {
  NOVATED = 'novated',
  DUPLICATE = 'duplicate',
  REJECTED = 'rejected',
}
registerEnumType(TradeStatusValue, {
  name: 'TradeStatus',
  description: 'NOVATED: cleared now. DUPLICATE: cleared before with the same payload. REJECTED: see error.',
});

@ObjectType({ description: 'Why one item was refused.' })
export class ItemError {
  @Field(() => String, { description: 'Machine-readable reason, such as QUANTITY_STEP or STALE_PRICE.' })
  code!: string;

  @Field(() => String, { description: 'The refused input, such as quantity or markPrices[2].price.' })
  field!: string;

  @Field(() => String)
  message!: string;
}

@ObjectType({ description: 'The outcome of one submitted trade.' })
export class TradeResult {
  @Field(() => String)
  venueTradeId!: string;

  @Field(() => TradeStatusValue)
  status!: `${TradeStatusValue}`;

  @Field(() => ID, { nullable: true, description: 'The clearinghouse trade id (the original one for a duplicate).' })
  tradeId!: string | null;

  @Field(() => ItemError, { nullable: true })
  error!: ItemError | null;
}

@ObjectType({ description: 'One result per submitted trade, in submission order.' })
export class SubmitTradesResult {
  @Field(() => TradeSubmissionModeValue)
  mode!: `${TradeSubmissionModeValue}`;

  @Field(() => [TradeResult])
  trades!: TradeResult[];

  @Field(() => Int)
  novatedCount!: number;

  @Field(() => Int)
  duplicateCount!: number;

  @Field(() => Int)
  rejectedCount!: number;
}

@ObjectType({ description: 'The outcome of one published price.' })
export class MarketDataItemResult {
  @Field(() => Boolean)
  accepted!: boolean;

  @Field(() => ItemError, { nullable: true })
  error!: ItemError | null;
}

@ObjectType({ description: 'One result per published price, in input order.' })
export class PublishMarksResult {
  @Field(() => [MarketDataItemResult])
  indexPrices!: MarketDataItemResult[];

  @Field(() => [MarketDataItemResult])
  markPrices!: MarketDataItemResult[];

  @Field(() => Int)
  acceptedCount!: number;

  @Field(() => Int)
  rejectedCount!: number;
}
