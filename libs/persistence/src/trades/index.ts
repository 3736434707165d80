export { TRADES_PER_BATCH_MAX, TRANSACTION_ATTEMPTS_MAX, submitTrades } from './submit-trades.js';
export type { TradeBatchResult, TradeOutcome, TradeStatus, TradeSubmission, TradeSubmissionMode } from './types.js';
export { TradeRejectedError, TradeSubmissionError } from './errors.js';
export type { TradeRejection, TradeRejectionCode, TradeSubmissionErrorCode } from './errors.js';
export { JOURNAL_ENTRIES_PER_CALL_MAX, postJournalEntries } from './bulk-ledger.js';
export { tradePayloadHash } from './payload-hash.js';
