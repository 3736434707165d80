import { Decimal, ZERO } from '@novation/money';
import { assertValidInstrument, averageEntryPrice, realisedPnl as contractRealisedPnl } from '@novation/instruments';
import type { Instrument } from '@novation/instruments';
import { ClearingError } from './clearing-error.js';
import { assertInRange, assertPositive } from './preconditions.js';

/**
 * A member's position in one instrument as the clearinghouse keeps it.
 * - quantity: contracts, positive long, negative short;
 * - averageEntryPrice: null when flat. For futures and perpetuals it is the price up to which the
 *   position's PnL has been cash-settled: the trade-weighted entry price until the first variation-margin
 *   run, then the settlement price (see variation-margin.ts), blended with later trades. For options it
 *   is the average premium, kept for reporting only (options are premium-settled, see below);
 * - realisedPnl: cumulative PnL realised by reducing trades, in the settlement asset.
 */
export interface ClearingPosition {
  readonly quantity: Decimal;
  readonly averageEntryPrice: Decimal | null;
  readonly realisedPnl: Decimal;
}

export type FillSide = 'buy' | 'sell';

export interface Fill {
  readonly side: FillSide;
  /** Contracts, > 0. */
  readonly quantity: Decimal;
  /** Trade price; for an option, the premium per unit of the underlying. */
  readonly price: Decimal;
}

/** open: from flat; increase: same direction; reduce: part closed; close: to flat; flip: through flat. */
export type FillEffect = 'open' | 'increase' | 'reduce' | 'close' | 'flip';

export interface FillResult {
  readonly position: ClearingPosition;
  /** PnL realised by this fill in the settlement asset, exact (unrounded). */
  readonly realisedPnl: Decimal;
  readonly effect: FillEffect;
}

const FLAT: ClearingPosition = { quantity: ZERO, averageEntryPrice: null, realisedPnl: ZERO };

/**
 * Applies one fill to a position. Opening or increasing re-averages the entry price (harmonic mean for
 * inverse contracts, arithmetic otherwise, by averageEntryPrice of @novation/instruments). Reducing
 * realises PnL on the closed contracts at the old average; flipping closes the whole old side and opens
 * the remainder at the fill price.
 *
 * Options are premium-settled: the buyer pays the full premium to the seller at every trade (novation.ts),
 * so their value has already changed hands and a reducing option trade realises no further PnL here.
 * Futures, perpetuals and spot are PnL-settled: reducing trades realise PnL in cash.
 */
export function applyFill(position: ClearingPosition | undefined, fill: Fill, instrument: Instrument): FillResult {
  assertValidInstrument(instrument);
  assertFill(fill);
  const current = position ?? FLAT;
  assertPosition(current);
  const signedQuantity = fill.side === 'buy' ? fill.quantity : fill.quantity.negated();
  if (current.quantity.isZero()) {
    return { position: openedAt(current, signedQuantity, fill.price), realisedPnl: ZERO, effect: 'open' };
  }
  if (current.quantity.isNegative() === signedQuantity.isNegative())
    return increase(current, signedQuantity, fill, instrument);
  return reduceCloseOrFlip(current, signedQuantity, fill.price, instrument);
}

function increase(current: ClearingPosition, signedQuantity: Decimal, fill: Fill, instrument: Instrument): FillResult {
  const entryPrice = averageEntryPrice(
    instrument,
    { contracts: current.quantity, price: entryPriceOf(current) },
    { contracts: signedQuantity, price: fill.price },
  );
  const position = { ...current, quantity: current.quantity.plus(signedQuantity), averageEntryPrice: entryPrice };
  return { position, realisedPnl: ZERO, effect: 'increase' };
}

function reduceCloseOrFlip(
  current: ClearingPosition,
  signedQuantity: Decimal,
  price: Decimal,
  instrument: Instrument,
): FillResult {
  const closedMagnitude = Decimal.min(current.quantity.abs(), signedQuantity.abs());
  // Signed as the position being closed, as realisedPnl of @novation/instruments expects.
  const closedContracts = current.quantity.isNegative() ? closedMagnitude.negated() : closedMagnitude;
  const realised =
    instrument.kind === 'european_option'
      ? ZERO
      : contractRealisedPnl(instrument, closedContracts, entryPriceOf(current), price);
  const remaining = current.quantity.plus(signedQuantity);
  const realisedTotal = current.realisedPnl.plus(realised);
  if (remaining.isZero()) {
    return { position: { ...FLAT, realisedPnl: realisedTotal }, realisedPnl: realised, effect: 'close' };
  }
  if (remaining.isNegative() === current.quantity.isNegative()) {
    const position = { ...current, quantity: remaining, realisedPnl: realisedTotal };
    return { position, realisedPnl: realised, effect: 'reduce' };
  }
  const position = openedAt({ ...current, realisedPnl: realisedTotal }, remaining, price);
  return { position, realisedPnl: realised, effect: 'flip' };
}

function openedAt(current: ClearingPosition, quantity: Decimal, price: Decimal): ClearingPosition {
  return { quantity, averageEntryPrice: price, realisedPnl: current.realisedPnl };
}

function entryPriceOf(position: ClearingPosition): Decimal {
  if (position.averageEntryPrice === null) {
    throw new ClearingError('INVALID_POSITION', 'position.averageEntryPrice', 'is null on an open position');
  }
  return position.averageEntryPrice;
}

function assertFill(fill: Fill): void {
  if (fill.side !== 'buy' && fill.side !== 'sell') {
    throw new ClearingError('INVALID_FIELD_TYPE', 'fill.side', "must be 'buy' or 'sell'");
  }
  assertPositive(fill.quantity, 'fill.quantity', 'NON_POSITIVE_QUANTITY');
  assertPositive(fill.price, 'fill.price', 'NON_POSITIVE_PRICE');
}

/** A flat position has no entry price and an open one has a positive one; anything else is corrupt state. */
function assertPosition(position: ClearingPosition): void {
  assertInRange(position.quantity, 'position.quantity');
  assertInRange(position.realisedPnl, 'position.realisedPnl');
  const { averageEntryPrice: entryPrice } = position;
  const consistent = position.quantity.isZero()
    ? entryPrice === null
    : entryPrice !== null && entryPrice.isFinite() && entryPrice.isPositive() && !entryPrice.isZero();
  if (!consistent) {
    throw new ClearingError('INVALID_POSITION', 'position.averageEntryPrice', 'must be null when flat, > 0 when open');
  }
}
