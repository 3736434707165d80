export type {
  DatedFuture,
  EuropeanOption,
  Instrument,
  InverseFuture,
  InversePerpetual,
  LinearFuture,
  LinearPerpetual,
  OptionType,
  Settlement,
  SpotInstrument,
} from './instrument.js';
export { InstrumentError } from './instrument-error.js';
export type { InstrumentErrorCode } from './instrument-error.js';
export { assertValidInstrument } from './preconditions.js';
export { MILLISECONDS_PER_YEAR, parseExpiryIso, timeToExpiryYears } from './expiry.js';
export { priceConvention } from './price-convention.js';
export type { PriceConvention } from './price-convention.js';
export { notionalValue, positionValue } from './position-value.js';
export { realisedPnl, unrealisedPnl } from './pnl.js';
export { averageEntryPrice } from './average-entry-price.js';
export type { PositionLot } from './average-entry-price.js';
export {
  optionExpiryPnl,
  optionPayoffPerUnit,
  optionPremiumAmount,
  optionSettlementAmount,
} from './option-settlement.js';
export { futureSettlementPnl } from './future-settlement.js';
