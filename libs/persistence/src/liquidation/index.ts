export { executeLiquidationStep, liquidationStepKey } from './execute-liquidation-step.js';
export type { LiquidationStepOptions, LiquidationStepOutcome } from './execute-liquidation-step.js';
export { CONVERSION_PRICE_AGE_MS_MAX } from './convert-collateral.js';
export { ADL_CANDIDATES_MAX } from './cover-liquidation-deficit.js';
export { LiquidationError } from './liquidation-error.js';
export type { LiquidationErrorCode } from './liquidation-error.js';
export { LIQUIDATION_STEPS_MAX } from './liquidation-store.js';
export { applyMarginCallDeadline, liquidationDedupeKey, openLiquidation } from './open-liquidation.js';
export type { LiquidationOutboxPayload, OpenedLiquidation } from './open-liquidation.js';
