export { LIQUIDATION_ITEMS_MAX } from './liquidation-preconditions.js';
export { penaltyOf, planLiquidationSlice } from './plan-liquidation-slice.js';
export type {
  LiquidationClose,
  LiquidationPosition,
  LiquidationSlicePlan,
  PlanLiquidationSliceInput,
  SettlementAssetTerms,
} from './plan-liquidation-slice.js';
export { CONVERSION_PRICE_SCALE, collateralConversionEntry, conversionPriceOf } from './collateral-conversion.js';
export type {
  CollateralConversion,
  CollateralConversionInput,
  CollateralConversionResult,
  ConvertedBalance,
} from './collateral-conversion.js';
export { liquidationTransferEntry } from './liquidation-fee.js';
export { optionCloseAmounts } from './option-close.js';
export type { OptionCloseAmounts } from './option-close.js';
export type {
  LiquidationPositionChange,
  LiquidationTransferInput,
  LiquidationTransferResult,
} from './liquidation-fee.js';
export { coverDeficit } from './deficit.js';
export type {
  AdlCandidate,
  AdlMatch,
  AdlRanking,
  AutoDeleveragingInput,
  AutoDeleveragingResult,
  CoverDeficitInput,
  CoverDeficitResult,
  DefaultWaterfallInput,
  DefaultWaterfallResult,
  DeficitLayer,
  DeficitLayerName,
  DeficitResource,
} from './deficit.js';
