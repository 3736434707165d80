import type { TradeRejection } from './errors.js';

/**
 * - atomic: the batch is one all-or-nothing transaction; one rejected trade rolls everything back and
 *   every other trade is reported rejected with BATCH_ABORTED. The fast path (multi-row statements).
 * - per-trade: one transaction with a savepoint per trade; a rejected trade leaves the others applied.
 */
export type TradeSubmissionMode = 'atomic' | 'per-trade';

export interface TradeSubmission {
  /** The venue submitting; every trade's venueId must equal it. */
  readonly venueId: string;
  /** Decoded JSON trade messages, each parsed with parseTradeInput of @novation/clearing. */
  readonly trades: readonly unknown[];
  readonly mode: TradeSubmissionMode;
  /** The caller's clock (expiry and future-timestamp checks); this module reads no clock. */
  readonly nowEpochMs: number;
}

export type TradeStatus = 'novated' | 'duplicate' | 'rejected';

export interface TradeOutcome {
  /** The venue's trade id as submitted ('' when the message carried none). */
  readonly venueTradeId: string;
  readonly status: TradeStatus;
  /** The clearinghouse trade id (trade.id): the new one when novated, the original one when duplicate. */
  readonly tradeId?: string;
  readonly error?: TradeRejection;
}

export interface TradeBatchResult {
  readonly mode: TradeSubmissionMode;
  /** One outcome per submitted trade, in submission order. */
  readonly trades: readonly TradeOutcome[];
  readonly counts: { readonly novated: number; readonly duplicate: number; readonly rejected: number };
  /** Transaction attempts used (more than 1 after a serialization failure or deadlock was retried). */
  readonly attempts: number;
}
