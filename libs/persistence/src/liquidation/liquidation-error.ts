/** Why a liquidation step was refused. Errors of the clearing rules (ClearingError) pass through unchanged. */
export type LiquidationErrorCode =
  | 'UNKNOWN_LIQUIDATION'
  | 'MISSING_HOUSE_ACCOUNT'
  | 'MISSING_POSITION'
  | 'UNSUPPORTED_INSTRUMENT'
  | 'TOO_MANY_STEPS'
  | 'NOTHING_TO_CLOSE'
  | 'TOO_MANY_ASSETS'
  | 'INVALID_OPTIONS';

export class LiquidationError extends Error {
  constructor(
    readonly code: LiquidationErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'LiquidationError';
  }
}
