import type { ClearingErrorCode } from '@novation/clearing';

/** Why a whole batch was refused before any trade in it was looked at. Nothing is written. */
export type TradeSubmissionErrorCode = 'BATCH_TOO_LARGE' | 'UNKNOWN_VENUE' | 'INVALID_BATCH';

export class TradeSubmissionError extends Error {
  constructor(
    readonly code: TradeSubmissionErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'TradeSubmissionError';
  }
}

/**
 * Why one trade of a batch was rejected: every ClearingError code of parseTradeInput, validateTrade and
 * noviateTrade, plus the checks against stored reference data and the batch's own outcomes.
 */
export type TradeRejectionCode =
  | ClearingErrorCode
  | 'UNKNOWN_INSTRUMENT'
  | 'UNKNOWN_ACCOUNT'
  | 'INSTRUMENT_NOT_LISTED'
  | 'ACCOUNT_NOT_ALLOWED'
  | 'RISK_INCREASE_REFUSED'
  | 'VENUE_MISMATCH'
  | 'TRADE_ID_REUSED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'BATCH_ABORTED';

export interface TradeRejection {
  readonly code: TradeRejectionCode;
  /** The refused input, e.g. `price` or `buyerAccountId`; `trade` when the whole trade is refused. */
  readonly field: string;
  readonly message: string;
}

/** A trade-level refusal raised inside this folder; turned into a TradeRejection in the batch result. */
export class TradeRejectedError extends Error {
  constructor(
    readonly code: TradeRejectionCode,
    readonly field: string,
    detail: string,
  ) {
    super(`${code}: ${field} ${detail}`);
    this.name = 'TradeRejectedError';
  }
}
