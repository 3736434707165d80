export type ReportErrorCode =
  | 'INVALID_BUSINESS_DATE'
  | 'INVALID_LOOKBACK'
  | 'INVALID_CONFIDENCE'
  | 'LIMIT_EXCEEDED'
  | 'MISSING_MARKET_DATA'
  | 'NO_ACTIVE_PARAMETER_SET'
  | 'RECOMPUTE_FAILED'
  | 'STRESS_TEST_FAILED';

/** Why a report could not be produced; the admin service maps each code to an HTTP status. */
export class ReportError extends Error {
  constructor(
    readonly code: ReportErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ReportError';
  }
}
