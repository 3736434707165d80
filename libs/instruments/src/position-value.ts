import type { Decimal } from '@novation/money';
import type { Instrument } from './instrument.js';
import { priceConvention } from './price-convention.js';
import { assertPositivePrice, assertValidInstrument } from './preconditions.js';

/**
 * Notional in the quote asset (USD), signed like `contracts` (positive long, negative short):
 * - linear futures and spot: contracts x contractSize x underlyingPrice;
 * - inverse futures: contracts x contractSize, the USD face value, whatever the price;
 * - options: contracts x contractSize x underlyingPrice, the underlying amount controlled.
 */
export function notionalValue(instrument: Instrument, contracts: Decimal, underlyingPrice: Decimal): Decimal {
  assertValidInstrument(instrument);
  assertPositivePrice(underlyingPrice, 'underlyingPrice');
  if (priceConvention(instrument) === 'inverse') return contracts.times(instrument.contractSize);
  return contracts.times(instrument.contractSize).times(underlyingPrice);
}

/**
 * Value of a position at `markPrice`, in the settlement asset, signed like `contracts`:
 * - linear: contracts x contractSize x markPrice (for an option, markPrice is its premium);
 * - inverse: contracts x contractSize / markPrice (coin worth of the USD face value).
 */
export function positionValue(instrument: Instrument, contracts: Decimal, markPrice: Decimal): Decimal {
  assertValidInstrument(instrument);
  if (priceConvention(instrument) === 'inverse') {
    assertPositivePrice(markPrice, 'markPrice');
    return contracts.times(instrument.contractSize).dividedBy(markPrice);
  }
  return contracts.times(instrument.contractSize).times(markPrice);
}
