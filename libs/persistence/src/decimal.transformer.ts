import { Decimal, isDecimal } from '@novation/money';
import type { ValueTransformer } from 'typeorm';

/**
 * Maps a PostgreSQL `numeric(precision, scale)` column to and from decimal.js without ever passing
 * through a JS number. node-postgres returns numeric as a string, which Decimal reads exactly; on the
 * way in, the Decimal is written with `toFixed()` (never exponent notation).
 *
 * The rule for values the column cannot hold: they are REJECTED, never rounded. A value with more
 * fractional digits than `scale`, or more integer digits than `precision - scale`, throws a
 * NumericColumnError before any SQL runs. Rounding is a business decision (requirements up, payouts
 * down) taken in the domain with `roundRequirement`/`roundPayout`, not silently by the storage layer.
 *
 * PostgreSQL numeric has no negative zero: `-0` is stored as `0` and reads back as `0`.
 */
export class NumericColumnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NumericColumnError';
  }
}

export class DecimalTransformer implements ValueTransformer {
  private readonly integerDigitsMax: number;

  constructor(
    readonly precision: number,
    readonly scale: number,
  ) {
    if (!Number.isInteger(precision) || precision < 1 || precision > 1000)
      throw new RangeError('precision in [1, 1000]');
    if (!Number.isInteger(scale) || scale < 0 || scale > precision) throw new RangeError('scale in [0, precision]');
    this.integerDigitsMax = precision - scale;
  }

  to(value: Decimal | null | undefined): string | null | undefined {
    if (value === null || value === undefined) return value;
    if (!isDecimal(value))
      throw new NumericColumnError('numeric columns take Decimal values, not JS numbers or strings');
    if (!value.isFinite()) throw new NumericColumnError(`numeric column cannot hold ${value.toString()}`);
    if (value.decimalPlaces() > this.scale) {
      throw new NumericColumnError(`${value.toFixed()} has more than ${this.scale} decimal places`);
    }
    const integerDigits = value.abs().trunc().toFixed().replace(/^0$/, '').length;
    if (integerDigits > this.integerDigitsMax) {
      throw new NumericColumnError(`${value.toFixed()} has more than ${this.integerDigitsMax} integer digits`);
    }
    return value.isZero() ? '0' : value.toFixed();
  }

  from(value: string | null | undefined): Decimal | null | undefined {
    if (value === null || value === undefined) return value;
    if (typeof value !== 'string')
      throw new NumericColumnError(`expected numeric as string from the driver, got ${typeof value}`);
    return new Decimal(value);
  }
}

/** The column type used for money, quantities and prices: 20 integer digits, 18 fractional. */
export const MONEY_PRECISION = 38;
export const MONEY_SCALE = 18;
export const moneyTransformer = new DecimalTransformer(MONEY_PRECISION, MONEY_SCALE);

/** Column options for a money/quantity/price column; spread into `@Column({ ...moneyColumn })`. */
export const moneyColumn = {
  type: 'numeric',
  precision: MONEY_PRECISION,
  scale: MONEY_SCALE,
  transformer: moneyTransformer,
} as const;
