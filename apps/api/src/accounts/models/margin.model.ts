import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DateTimeScalar } from '../../common/scalars/date-time.scalar.js';
import { DecimalScalar } from '../../common/scalars/decimal.scalar.js';

// Amounts here are the engine's decimal strings, passed through the Decimal scalar unchanged.

export enum MarginStatusValue {
  HEALTHY = 'healthy',
  BELOW_INITIAL_MARGIN = 'below_initial_margin',
  BELOW_MAINTENANCE_MARGIN = 'below_maintenance_margin',
}
registerEnumType(MarginStatusValue, {
  name: 'MarginStatus',
  description: 'Healthy; below initial margin (margin call); below maintenance margin (liquidation).',
});

@ObjectType({ description: 'One named part of a group requirement.' })
export class MarginComponent {
  @Field(() => String)
  name!: string;

  @Field(() => DecimalScalar)
  initialMargin!: string;

  @Field(() => DecimalScalar)
  maintenanceMargin!: string;
}

@ObjectType({ description: 'Requirement of the positions settling in one asset.' })
export class MarginGroup {
  @Field(() => String)
  settlementAsset!: string;

  @Field(() => DecimalScalar, { description: 'Price of one unit of the settlement asset in the margin asset.' })
  priceInMarginAsset!: string;

  @Field(() => DecimalScalar, { description: 'In the settlement asset.' })
  initialMargin!: string;

  @Field(() => DecimalScalar, { description: 'In the settlement asset.' })
  maintenanceMargin!: string;

  @Field(() => DecimalScalar)
  initialMarginInMarginAsset!: string;

  @Field(() => DecimalScalar)
  maintenanceMarginInMarginAsset!: string;

  @Field(() => DecimalScalar)
  equityContribution!: string;

  @Field(() => [MarginComponent])
  components!: MarginComponent[];
}

@ObjectType({ description: "One position's contribution to equity and requirements." })
export class MarginPositionContribution {
  @Field(() => ID)
  instrumentId!: string;

  @Field(() => String)
  settlementAsset!: string;

  @Field(() => DecimalScalar)
  quantity!: string;

  @Field(() => DecimalScalar)
  markPrice!: string;

  @Field(() => DecimalScalar, { description: 'Unrealised PnL of futures, value at mark of options.' })
  equityContribution!: string;

  @Field(() => DecimalScalar, { nullable: true })
  initialMargin!: string | null;

  @Field(() => DecimalScalar, { nullable: true })
  maintenanceMargin!: string | null;
}

@ObjectType({ description: 'The latest stored margin of an account (its latest receipt).' })
export class Margin {
  @Field(() => ID, { description: 'The receipt: download it with Account.marginReceipt to replay it.' })
  receiptId!: string;

  @Field(() => String)
  inputsHash!: string;

  @Field(() => DateTimeScalar)
  computedAt!: Date;

  @Field(() => String, { description: 'Margin model, such as standard or portfolio-scenario.' })
  model!: string;

  @Field(() => String)
  parameterSetVersion!: string;

  @Field(() => String, { description: 'Asset of equity and requirements.' })
  marginAsset!: string;

  @Field(() => MarginStatusValue)
  status!: `${MarginStatusValue}`;

  @Field(() => DecimalScalar)
  equity!: string;

  @Field(() => DecimalScalar)
  equityForInitialMargin!: string;

  @Field(() => DecimalScalar)
  equityForMaintenanceMargin!: string;

  @Field(() => DecimalScalar)
  initialMargin!: string;

  @Field(() => DecimalScalar)
  maintenanceMargin!: string;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'Equity for maintenance margin / maintenance margin; null without a requirement.',
  })
  marginRatio!: string | null;

  @Field(() => [MarginGroup])
  groups!: MarginGroup[];

  @Field(() => [MarginPositionContribution])
  positions!: MarginPositionContribution[];
}
