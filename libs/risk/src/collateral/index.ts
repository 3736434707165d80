export { CollateralError } from './collateral-error.js';
export type { CollateralErrorCode } from './collateral-error.js';
export { COLLATERAL_HAIRCUT_COUNT_MAX, validateCollateralHaircuts } from './collateral-haircuts.js';
export type { CollateralHaircut } from './collateral-haircuts.js';
export { COLLATERAL_HOLDING_COUNT_MAX, valueCollateral } from './collateral-valuation.js';
export type {
  CollateralHolding,
  CollateralLine,
  CollateralValuation,
  CollateralValuationInput,
} from './collateral-valuation.js';
