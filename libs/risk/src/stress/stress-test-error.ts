/** Why a stress test refused its inputs. One code per broken precondition, so callers can map them. */
export type StressTestErrorCode =
  | 'INVALID_SCENARIO'
  | 'UNKNOWN_INSTRUMENT'
  | 'MISSING_MARKET_DATA'
  | 'MISSING_CONVERSION_PRICE'
  | 'INVALID_ACCOUNT'
  | 'INVALID_DEFAULT_RESOURCES'
  | 'DUPLICATE_ID'
  | 'LIMIT_EXCEEDED';

/**
 * Thrown when scenarios, market data, accounts or default resources break a precondition. A stress test
 * never reports from a silent NaN or a skipped position: an understated loss sizes the default fund too small.
 */
export class StressTestError extends Error {
  constructor(
    readonly code: StressTestErrorCode,
    /** The input field at fault, e.g. `scenarios[2].underlyingShocks.BTC`. */
    readonly field: string,
    detail: string,
  ) {
    super(`${code} at ${field}: ${detail}`);
    this.name = 'StressTestError';
  }
}
