import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import type { Decimal } from '@novation/money';
import { DateTimeScalar } from '../../common/scalars/date-time.scalar.js';
import { DecimalScalar } from '../../common/scalars/decimal.scalar.js';
import { JsonScalar } from './json.scalar.js';

@ObjectType({ description: 'The margin model for each kind of member account.' })
export class MarginModelsByAccountKind {
  @Field(() => String, { description: 'Model of cross accounts: standard, portfolio-scenario or historical-es.' })
  cross!: string;

  @Field(() => String, { description: 'Model of isolated accounts.' })
  isolated!: string;

  @Field(() => String, { description: 'Model of portfolio accounts.' })
  portfolio!: string;
}

@ObjectType({ description: 'How an asset counts as collateral.' })
export class AssetRiskParameters {
  @Field(() => String, { description: 'Asset code, such as BTC.' })
  asset!: string;

  @Field(() => Int, { description: 'Decimal places amounts in this asset are rounded to.' })
  scale!: number;

  @Field(() => DecimalScalar, { description: 'Fraction of the value not counted towards initial margin.' })
  initialHaircut!: Decimal;

  @Field(() => DecimalScalar, { description: 'Fraction of the value not counted towards maintenance margin.' })
  maintenanceHaircut!: Decimal;

  @Field(() => String, {
    nullable: true,
    description: 'Index pricing the asset in USD, such as BTC-USD; null for an asset worth exactly 1 USD.',
  })
  usdIndex!: string | null;
}

@ObjectType({ description: 'How a margin breach is liquidated.' })
export class LiquidationParameters {
  @Field(() => DecimalScalar, {
    description: 'Price concession charged to the liquidated account: execution at mark x (1 -/+ penalty).',
  })
  penaltyFraction!: Decimal;

  @Field(() => DecimalScalar, { description: 'Largest fraction of each position one liquidation step closes.' })
  maxSliceFraction!: Decimal;

  @Field(() => Int, { description: 'Pause between two steps of one liquidation, in milliseconds.' })
  coolDownMs!: number;

  @Field(() => String, {
    description: 'Who covers a deficit beyond the insurance fund: auto-deleveraging or default-waterfall.',
  })
  deficitMode!: string;

  @Field(() => Int, {
    description:
      "Oldest index price, in milliseconds, at which a liquidated account's other assets are converted into its settlement asset.",
  })
  conversionPriceAgeMsMax!: number;
}

@ObjectType({
  description: 'The risk parameter set in force: versioned, approved by two admins, read-only through this API.',
})
export class RiskParameterSet {
  @Field(() => ID, { description: 'Id of the set.' })
  id!: string;

  @Field(() => String, { description: 'Version, as named in margin receipts (parameterSetVersion).' })
  version!: string;

  @Field(() => DateTimeScalar, { description: 'When the set came into force.' })
  effectiveFrom!: Date;

  @Field(() => MarginModelsByAccountKind, { description: 'The margin model per account kind.' })
  models!: MarginModelsByAccountKind;

  @Field(() => [AssetRiskParameters], { description: 'Collateral parameters per asset, by asset code.' })
  assets!: AssetRiskParameters[];

  @Field(() => [String], { description: 'Assets valued at exactly 1 USD, such as USDC.' })
  usdAssets!: string[];

  @Field(() => Float, { description: 'Risk-free rate, continuously compounded, per year (0.05 is 5%).' })
  riskFreeRate!: number;

  @Field(() => Float, { description: 'Time a member has to meet a margin call, in whole milliseconds.' })
  marginCallDeadlineMs!: number;

  @Field(() => LiquidationParameters, { description: 'How a margin breach is liquidated.' })
  liquidation!: LiquidationParameters;

  @Field(() => JsonScalar, {
    description:
      "The margin models' own parameters as validated when the set was approved: `standard` (rate tiers " +
      'per instrument, option margin), `portfolioScenario` (price x vol grid) and `historicalEs` (ES ' +
      'settings), each present when some account kind uses it. The same block as `parameters` of a ' +
      '`novation-risk` margin request, without `assets` (see the `assets` field).',
  })
  modelParameters!: unknown;
}
