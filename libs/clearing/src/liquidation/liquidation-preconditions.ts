import { Decimal } from '@novation/money';
import type { Instrument } from '@novation/instruments';
import { ClearingError } from '../clearing-error.js';
import { assertInRange, assertPositive } from '../preconditions.js';

/** Most positions or members in one liquidation step or one deficit run. */
export const LIQUIDATION_ITEMS_MAX = 5_000;

/** Finite, in range and >= 0. */
export function assertNonNegative(value: Decimal, field: string): void {
  assertInRange(value, field);
  if (value.isNegative()) throw new ClearingError('OUT_OF_RANGE', field, `must be >= 0, got ${value.toFixed()}`);
}

/** An amount already at the settlement asset's scale: ledger balances are, and the deficit layers stay exact. */
export function assertAtScale(value: Decimal, scale: number, field: string): void {
  assertNonNegative(value, field);
  if (value.decimalPlaces() > scale) {
    throw new ClearingError('INVALID_DECIMAL', field, `must have at most ${scale} decimal places`);
  }
}

export function assertBounded(items: readonly unknown[], field: string): void {
  if (items.length > LIQUIDATION_ITEMS_MAX) {
    throw new ClearingError('TOO_MANY_POSITIONS', field, `has more than ${LIQUIDATION_ITEMS_MAX} items`);
  }
}

/**
 * Liquidation closes futures and perpetuals, whose PnL is cash-settled, and options, which are
 * premium-settled (a close moves a premium: optionCloseAmounts). Spot is delivery-settled in two assets and
 * is not liquidated here.
 */
export function assertLiquidatable(instrument: Instrument, field: string): void {
  if (instrument.kind === 'spot') {
    throw new ClearingError('UNSUPPORTED_INSTRUMENT', field, `${instrument.kind} is not liquidated by closing`);
  }
}

/**
 * A mark or execution price of a close: futures and perpetuals price PnL (> 0, inverse PnL divides by it);
 * an option's price is its premium, which may be 0 for a worthless option.
 */
export function assertPrice(instrument: Instrument, price: Decimal, field: string): void {
  if (instrument.kind === 'european_option') assertNonNegative(price, field);
  else assertPositive(price, field, 'NON_POSITIVE_PRICE');
}

/** Ordinal comparison of identifiers (never locale-dependent), for deterministic tie-breaks. */
export function compareIds(left: string, right: string): number {
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

export const unitOf = (scale: number): Decimal => new Decimal(10).pow(-scale);

/** Printable, bounded, no whitespace: the ledger's idempotency key. */
export function assertIdempotencyKey(value: string, field: string): void {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.:-]{1,200}$/.test(value)) {
    throw new ClearingError('INVALID_IDENTIFIER', field, 'must be 1..200 characters of [A-Za-z0-9_.:-]');
  }
}
