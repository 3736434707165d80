import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { Decimal } from '@novation/money';
import { MarginGroup, MarginPositionContribution, MarginStatusValue } from '../../accounts/models/margin.model.js';
import { DateTimeScalar } from '../../common/scalars/date-time.scalar.js';
import { DecimalScalar } from '../../common/scalars/decimal.scalar.js';

@ObjectType({
  description:
    'A hypothetical margin: the breakdown of Account.margin, computed on adjusted inputs and stored nowhere.',
})
export class MarginSimulation {
  @Field(() => DateTimeScalar, { description: 'The valuation instant (now).' })
  computedAt!: Date;

  @Field(() => String)
  model!: string;

  @Field(() => String)
  parameterSetVersion!: string;

  @Field(() => String)
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

  @Field(() => DecimalScalar, { nullable: true })
  marginRatio!: string | null;

  @Field(() => [MarginGroup])
  groups!: MarginGroup[];

  @Field(() => [MarginPositionContribution])
  positions!: MarginPositionContribution[];
}

export enum SizingConstraintValue {
  INITIAL_MARGIN = 'initial-margin',
  QUANTITY_LIMIT = 'quantity-limit',
  ALREADY_BELOW_INITIAL_MARGIN = 'already-below-initial-margin',
}
registerEnumType(SizingConstraintValue, {
  name: 'SizingConstraint',
  description:
    'What stops a larger trade: initial margin, the per-call quantity cap, or an account already below IM (only risk-reducing trades).',
});

@ObjectType({ description: 'The largest trade on one side.' })
export class TradeSizeSide {
  @Field(() => DecimalScalar, { description: 'Contracts, a multiple of the quantity step.' })
  quantity!: Decimal;

  @Field(() => SizingConstraintValue)
  bindingConstraint!: `${SizingConstraintValue}`;

  @Field(() => DecimalScalar, { description: 'Equity for IM minus IM after trading quantity.' })
  headroomAtQuantity!: Decimal;
}

@ObjectType({ description: 'The largest buy and sell an account can make at mark without breaching initial margin.' })
export class MaxTradeSize {
  @Field(() => ID)
  instrumentId!: string;

  @Field(() => DecimalScalar)
  quantityStep!: Decimal;

  @Field(() => DecimalScalar, { description: 'The per-side cap the search stops at.' })
  quantityCap!: Decimal;

  @Field(() => TradeSizeSide)
  buy!: TradeSizeSide;

  @Field(() => TradeSizeSide)
  sell!: TradeSizeSide;
}
