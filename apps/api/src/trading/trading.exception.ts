export type TradingExceptionCode = 'NOT_A_VENUE_KEY' | 'INVALID_BATCH' | 'BATCH_TOO_LARGE';

/** Errors of the venue mutations as a whole (one bad trade or mark is a per-item result, not this). */
export class TradingException extends Error {
  constructor(
    readonly code: TradingExceptionCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'TradingException';
  }
}
