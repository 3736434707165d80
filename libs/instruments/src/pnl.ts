import { ONE } from '@novation/money';
import type { Decimal } from '@novation/money';
import type { Instrument } from './instrument.js';
import { priceConvention } from './price-convention.js';
import { assertPositivePrice, assertValidInstrument } from './preconditions.js';

/**
 * Profit of `contracts` (positive long, negative short) bought or sold at `entryPrice` and valued or closed
 * at `exitPrice`, in the settlement asset:
 * - linear:  contracts x contractSize x (exit - entry)
 * - inverse: contracts x contractSize x (1/entry - 1/exit)   (coin; the USD face value re-priced in coin)
 * The inverse form is exact as written: a long inverse contract gains coin as the price rises, but less per
 * dollar of move the higher the price, which is the convexity member firms see on coin-margined books.
 */
function profit(instrument: Instrument, contracts: Decimal, entryPrice: Decimal, exitPrice: Decimal): Decimal {
  assertValidInstrument(instrument);
  assertPositivePrice(entryPrice, 'entryPrice');
  assertPositivePrice(exitPrice, 'exitPrice');
  const size = contracts.times(instrument.contractSize);
  if (priceConvention(instrument) === 'inverse') {
    return size.times(ONE.dividedBy(entryPrice).minus(ONE.dividedBy(exitPrice)));
  }
  return size.times(exitPrice.minus(entryPrice));
}

/** Unrealised PnL of an open position at the mark price, in the settlement asset. */
export function unrealisedPnl(
  instrument: Instrument,
  contracts: Decimal,
  entryPrice: Decimal,
  markPrice: Decimal,
): Decimal {
  return profit(instrument, contracts, entryPrice, markPrice);
}

/**
 * Realised PnL of closing `closedContracts` (signed as the position being closed: positive when a long is
 * sold) that were opened at `entryPrice`, at `exitPrice`, in the settlement asset.
 */
export function realisedPnl(
  instrument: Instrument,
  closedContracts: Decimal,
  entryPrice: Decimal,
  exitPrice: Decimal,
): Decimal {
  return profit(instrument, closedContracts, entryPrice, exitPrice);
}
