import type { ClearingErrorCode } from '@novation/clearing';

/** Why a settlement run was refused. The transaction rolls back: the database is unchanged. */
export type SettlementErrorCode =
  | 'UNKNOWN_INSTRUMENT'
  | 'WRONG_INSTRUMENT_KIND'
  | 'INSTRUMENT_NOT_ACTIVE'
  | 'NOT_EXPIRED'
  | 'ALREADY_EXPIRED'
  | 'MISSING_MARK_PRICE'
  | 'STALE_MARK_PRICE'
  | 'INVALID_AMOUNT'
  | 'INVALID_IDENTIFIER'
  | 'INVALID_DATE'
  | 'INVALID_TIMESTAMP'
  | 'MISSING_HOUSE_ACCOUNT'
  | 'UNKNOWN_ASSET'
  | 'IDEMPOTENCY_CONFLICT'
  | 'CONCURRENT_MODIFICATION'
  | 'CLEARING_REFUSED';

export class SettlementError extends Error {
  constructor(
    readonly code: SettlementErrorCode,
    readonly field: string,
    detail: string,
    /** Set when code is CLEARING_REFUSED: the precondition of libs/clearing that was broken. */
    readonly clearingCode?: ClearingErrorCode,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${field} ${detail}`, options);
    this.name = 'SettlementError';
  }
}
