import { Decimal } from './decimal.js';

/**
 * The rounding policy of Novation. Every rounding of an amount names its direction by what the amount
 * is, so the clearinghouse never rounds in a member's favour by accident:
 * - requirements (margin, fees owed, losses) round up, away from zero;
 * - payouts (collateral value after haircut, profits paid, refunds) round down, toward zero.
 */
export function roundRequirement(value: Decimal, scale: number): Decimal {
  assertScale(scale);
  return value.toDecimalPlaces(scale, Decimal.ROUND_UP);
}

export function roundPayout(value: Decimal, scale: number): Decimal {
  assertScale(scale);
  return value.toDecimalPlaces(scale, Decimal.ROUND_DOWN);
}

/**
 * Values counted in a member's equity (unrealised PnL, option values, converted balances) round toward
 * minus infinity: a gain is rounded down and a loss rounded away from zero, so equity is never overstated.
 */
export function roundEquity(value: Decimal, scale: number): Decimal {
  assertScale(scale);
  return value.toDecimalPlaces(scale, Decimal.ROUND_FLOOR);
}

function assertScale(scale: number): void {
  if (!Number.isInteger(scale) || scale < 0 || scale > 18) {
    throw new RangeError(`scale must be an integer in [0, 18], got ${scale}`);
  }
}
