import type { Decimal } from '@novation/money';
import { ONE, ZERO, isDecimal } from '@novation/money';
import { CollateralError } from './collateral-error.js';

/** Haircuts of one asset as fractions of its market value: 0.1 means the asset counts at 90%. */
export interface CollateralHaircut {
  /** Haircut for initial margin; at least the maintenance haircut, because IM is the stricter test. */
  readonly initial: Decimal;
  readonly maintenance: Decimal;
}

/** Assets per haircut schedule; bounds the work of one validation. */
export const COLLATERAL_HAIRCUT_COUNT_MAX = 10_000;

/**
 * Asserts every haircut is a fraction in [0, 1) and initial >= maintenance. A haircut of 1 would make an
 * asset worthless as collateral: such an asset should not be on the eligible list at all.
 */
export function validateCollateralHaircuts(haircuts: ReadonlyMap<string, CollateralHaircut>): void {
  if (haircuts.size > COLLATERAL_HAIRCUT_COUNT_MAX) {
    throw new CollateralError('INVALID_INPUT', 'haircuts', `more than ${COLLATERAL_HAIRCUT_COUNT_MAX} assets`);
  }
  for (const [asset, haircut] of haircuts) {
    assertHaircut(asset, haircut);
  }
}

/** Asserts the haircuts of one asset; exported for the valuer, which checks only the assets it uses. */
export function assertHaircut(asset: string, haircut: CollateralHaircut): void {
  assertFraction(haircut.initial, `haircuts[${asset}].initial`);
  assertFraction(haircut.maintenance, `haircuts[${asset}].maintenance`);
  if (haircut.initial.lt(haircut.maintenance)) {
    throw new CollateralError(
      'INVALID_HAIRCUT',
      `haircuts[${asset}].initial`,
      `initial haircut ${haircut.initial.toFixed()} is below maintenance haircut ${haircut.maintenance.toFixed()}`,
    );
  }
}

function assertFraction(value: unknown, field: string): void {
  if (!isDecimal(value) || !value.isFinite() || value.lt(ZERO) || value.gte(ONE)) {
    throw new CollateralError('INVALID_HAIRCUT', field, 'must be a Decimal fraction in [0, 1)');
  }
}
