/** Why one market-data item was refused; the item is reported and not stored, the others go on. */
export type MarketDataItemErrorCode =
  | 'INVALID_PRICE'
  | 'INVALID_TIMESTAMP'
  | 'STALE_PRICE'
  | 'FUTURE_TIMESTAMP'
  | 'OUTSIDE_PRICE_BAND'
  | 'OUT_OF_ORDER'
  | 'UNKNOWN_INSTRUMENT'
  | 'UNKNOWN_UNDERLYING'
  | 'INSTRUMENT_NOT_LISTED'
  | 'INSTRUMENT_NOT_ACTIVE'
  | 'INVALID_IMPLIED_VOLATILITY'
  | 'MISSING_IMPLIED_VOLATILITY';

export interface MarketDataItemError {
  readonly code: MarketDataItemErrorCode;
  /** The refused input, e.g. `markPrices[3].price`. */
  readonly field: string;
  readonly message: string;
}

/** Why a whole call was refused (nothing stored): a malformed batch, policy or query, not one bad item. */
export type MarketDataErrorCode =
  | 'INVALID_SOURCE'
  | 'INVALID_VENUE'
  | 'INVALID_POLICY'
  | 'TOO_MANY_ITEMS'
  | 'INVALID_QUERY'
  | 'INVALID_UNDERLYING'
  | 'INVALID_RETURN';

export class MarketDataError extends Error {
  constructor(
    readonly code: MarketDataErrorCode,
    readonly field: string,
    detail: string,
  ) {
    super(`${code}: ${field} ${detail}`);
    this.name = 'MarketDataError';
  }
}
