import type { Decimal } from '@novation/money';
import type { Instrument } from './instrument.js';
import { InstrumentError } from './instrument-error.js';
import { priceConvention } from './price-convention.js';
import { assertNonZeroContracts, assertPositivePrice, assertValidInstrument } from './preconditions.js';

/** A lot of contracts (positive long, negative short) at one price. */
export interface PositionLot {
  readonly contracts: Decimal;
  readonly price: Decimal;
}

/**
 * Entry price of a position after adding `added` to `existing` in the same direction: the one price at which
 * the combined position has the same PnL at every exit price as the two lots together.
 * - linear: arithmetic mean weighted by contracts, (q1 p1 + q2 p2) / (q1 + q2);
 * - inverse: HARMONIC mean weighted by contracts, (q1 + q2) / (q1/p1 + q2/p2), because inverse PnL is
 *   linear in 1/price. An arithmetic mean here would misstate every later PnL in coin.
 * Reducing or flipping a position is not averaging (the closed part realises PnL at its entry price), so
 * lots in opposite directions are refused. The result carries Decimal's full precision; round it to the
 * instrument's price scale where it is stored, not here.
 */
export function averageEntryPrice(instrument: Instrument, existing: PositionLot, added: PositionLot): Decimal {
  assertValidInstrument(instrument);
  assertNonZeroContracts(existing.contracts, 'existing.contracts');
  assertNonZeroContracts(added.contracts, 'added.contracts');
  assertPositivePrice(existing.price, 'existing.price');
  assertPositivePrice(added.price, 'added.price');
  if (existing.contracts.isNegative() !== added.contracts.isNegative()) {
    throw new InstrumentError('OPPOSITE_DIRECTIONS', 'adding a lot in the opposite direction reduces the position');
  }
  const totalContracts = existing.contracts.plus(added.contracts);
  if (priceConvention(instrument) === 'inverse') {
    const coinFaceValue = existing.contracts.dividedBy(existing.price).plus(added.contracts.dividedBy(added.price));
    return totalContracts.dividedBy(coinFaceValue);
  }
  const quoteCost = existing.contracts.times(existing.price).plus(added.contracts.times(added.price));
  return quoteCost.dividedBy(totalContracts);
}
