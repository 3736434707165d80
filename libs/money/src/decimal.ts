import { Decimal as DecimalJs } from 'decimal.js';

/**
 * The one Decimal type of Novation. Every amount of money, quantity and price that is stored or settled
 * is a `Decimal` from this clone, never a JS number.
 *
 * Precision 80 significant digits: a PostgreSQL `numeric(38,18)` value has at most 38, and products of
 * two of them (price x quantity) must stay exact before they are rounded to an asset's scale.
 * toExpNeg/toExpPos keep `toString()` out of exponent notation for every value we store; serialise with
 * `toFixed()` anyway. Rounding defaults to half-even (banker's rounding); requirement and payout
 * rounding name their direction explicitly (see rounding.ts).
 */
export const Decimal = DecimalJs.clone({
  precision: 80,
  rounding: DecimalJs.ROUND_HALF_EVEN,
  toExpNeg: -80,
  toExpPos: 80,
  minE: -9e15,
  maxE: 9e15,
});
export type Decimal = InstanceType<typeof Decimal>;

/** Anything that can become a Decimal without passing through a JS number on the way. */
export type DecimalSource = Decimal | string | bigint;

export function isDecimal(value: unknown): value is Decimal {
  return DecimalJs.isDecimal(value);
}

export const ZERO = new Decimal(0);
export const ONE = new Decimal(1);
