import { Decimal } from '@novation/money';

/**
 * Precondition checks shared by the standard-margin functions. Each throws a RangeError naming the
 * offending input, so a bad parameter set fails loudly at the call that used it instead of producing a
 * plausible-looking margin.
 */

export function assertFinite(name: string, value: Decimal): void {
  if (!value.isFinite()) throw new RangeError(`${name} must be finite, got ${value.toString()}`);
}

export function assertPositive(name: string, value: Decimal): void {
  assertFinite(name, value);
  if (!value.gt(0)) throw new RangeError(`${name} must be > 0, got ${value.toString()}`);
}

export function assertNonNegative(name: string, value: Decimal): void {
  assertFinite(name, value);
  if (value.isNegative()) throw new RangeError(`${name} must be >= 0, got ${value.toString()}`);
}

export function assertNonZero(name: string, value: Decimal): void {
  assertFinite(name, value);
  if (value.isZero()) throw new RangeError(`${name} must not be zero`);
}

/** A margin fraction strictly between 0 and 1: 0 would mean no margin, 1 or more a fully funded position. */
export function assertOpenUnitFraction(name: string, value: Decimal): void {
  assertFinite(name, value);
  if (!value.gt(0) || !value.lt(1)) throw new RangeError(`${name} must be in (0, 1), got ${value.toString()}`);
}
