export { PositionSizingError } from './position-sizing-error.js';
export type { PositionSizingErrorCode } from './position-sizing-error.js';
export { SIZING_ITERATION_MAX_DEFAULT, SIZING_ITERATION_MAX_LIMIT, maxTradeSize } from './max-trade-size.js';
export type {
  MarginEvaluation,
  MaxTradeSizeInput,
  MaxTradeSizeResult,
  SideResult,
  SizingConstraint,
} from './max-trade-size.js';
