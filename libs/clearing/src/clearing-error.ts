/** Why a clearing operation was refused. One code per broken precondition, so callers can branch on it. */
export type ClearingErrorCode =
  | 'NOT_AN_OBJECT'
  | 'MISSING_FIELD'
  | 'UNKNOWN_FIELD'
  | 'INVALID_FIELD_TYPE'
  | 'INVALID_DECIMAL'
  | 'INVALID_IDENTIFIER'
  | 'INVALID_TIMESTAMP'
  | 'FUTURE_TIMESTAMP'
  | 'INVALID_DATE'
  | 'INVALID_SCALE'
  | 'OUT_OF_RANGE'
  | 'INSTRUMENT_MISMATCH'
  | 'UNSUPPORTED_INSTRUMENT'
  | 'INSTRUMENT_EXPIRED'
  | 'INSTRUMENT_NOT_EXPIRED'
  | 'SELF_TRADE'
  | 'NON_POSITIVE_QUANTITY'
  | 'NON_POSITIVE_PRICE'
  | 'NON_POSITIVE_STEP'
  | 'QUANTITY_STEP'
  | 'PRICE_TICK'
  | 'FEE_SCALE'
  | 'INVALID_POSITION'
  | 'INVALID_FUNDING_RATE'
  | 'MISSING_REFERENCE_PRICE'
  | 'TOO_MANY_POSITIONS'
  | 'DUPLICATE_ACCOUNT'
  | 'HOUSE_ACCOUNT_IS_MEMBER'
  | 'POSITIONS_NOT_FLAT'
  | 'EMPTY_ENTRY'
  | 'TOO_MANY_POSTINGS'
  | 'ZERO_POSTING'
  | 'UNBALANCED_ENTRY';

/**
 * A precondition of a clearing operation was broken. Thrown before any amount is computed, never turned
 * into a zero or NaN amount: the caller's transaction rolls back and nothing is half-posted.
 * `field` names the input that was refused (a dotted path such as `positions[3].quantity`).
 */
export class ClearingError extends Error {
  constructor(
    readonly code: ClearingErrorCode,
    readonly field: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${field} ${detail}`, options);
    this.name = 'ClearingError';
  }
}
