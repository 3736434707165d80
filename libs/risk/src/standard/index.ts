export { MARGIN_TIER_COUNT_MAX, marginTierIndex, validateMarginTiers } from './margin-tier.js';
export type { MarginTier } from './margin-tier.js';
export { initialAmounts, maintenanceAmounts, tierDeductionAmounts } from './tier-amounts.js';
export { openInterestScaledInitialMarginFraction, validateOpenInterestScaling } from './open-interest-scaling.js';
export type { OpenInterestScaling } from './open-interest-scaling.js';
export { tieredMarginRequirement } from './tiered-margin.js';
export type { TieredMarginInput, TieredMarginRequirement } from './tiered-margin.js';
export { initialMarginFractionFromLeverage, maintenanceMarginFractionFromMaxLeverage } from './leverage.js';
export type { LiquidationPrice, MaintenancePriceBasis, MarginMode } from './margin-mode.js';
export { linearBankruptcyPrice, linearLiquidationPrice, tieredLinearLiquidationPrice } from './linear-liquidation.js';
export type { LinearLiquidationInput } from './linear-liquidation.js';
export { inverseBankruptcyPrice, inverseLiquidationPrice } from './inverse-liquidation.js';
export type { InverseLiquidationInput } from './inverse-liquidation.js';
export { outOfTheMoneyAmount, standardOptionMargin, validateStandardOptionMarginParameters } from './option-margin.js';
export type {
  StandardOptionSettlement,
  StandardOptionType,
  StandardOptionMargin,
  StandardOptionMarginInput,
  StandardOptionMarginParameters,
} from './option-margin.js';
