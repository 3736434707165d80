/**
 * Why a margin operation of the persistence layer was refused. Errors of the risk engine itself
 * (`MarginError` of `@novation/risk`) pass through unchanged.
 */
export type MarginServiceErrorCode =
  | 'NO_ACTIVE_PARAMETER_SET'
  | 'INVALID_TIME'
  | 'INVALID_PARAMETER_SET'
  | 'UNKNOWN_ACCOUNT'
  | 'NOT_A_MEMBER_ACCOUNT'
  | 'MISSING_MARKET_DATA'
  | 'MARGIN_STATE_CONFLICT'
  | 'UNKNOWN_RECEIPT';

export class MarginServiceError extends Error {
  constructor(
    readonly code: MarginServiceErrorCode,
    message: string,
    /** What is missing or wrong, e.g. `markPrices.<instrument id>`, when one thing can be named. */
    readonly field?: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'MarginServiceError';
  }
}

/** Valuation times are whole epoch milliseconds from 1970 to year 275760 (what a Date and the request hold). */
export function assertEpochMs(nowEpochMs: unknown): asserts nowEpochMs is number {
  if (typeof nowEpochMs !== 'number' || !Number.isSafeInteger(nowEpochMs) || nowEpochMs < 0 || nowEpochMs > 8.64e15) {
    throw new MarginServiceError('INVALID_TIME', `not an epoch time in ms: ${String(nowEpochMs)}`);
  }
}
