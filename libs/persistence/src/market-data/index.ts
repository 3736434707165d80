export { MarketDataError } from './market-data-error.js';
export type { MarketDataErrorCode, MarketDataItemError, MarketDataItemErrorCode } from './market-data-error.js';
export { MARKET_DATA_ITEMS_PER_CALL_MAX, latestMarketData, publishMarketData } from './publish-marks.js';
export type {
  AcceptedMarketData,
  PublishMarketDataOptions,
  IndexPriceInput,
  LatestIndexPrice,
  LatestMarketData,
  LatestMarketDataQuery,
  LatestMark,
  MarkPriceInput,
  MarketDataBatch,
  MarketDataItemResult,
  MarketDataPolicy,
  PublishMarketDataResult,
} from './publish-marks.js';
export { UNDERLYING_RETURNS_PER_CALL_MAX, recordUnderlyingReturns } from './underlying-returns.js';
export type { UnderlyingReturnInput, UnderlyingReturnsBatch } from './underlying-returns.js';
