import type { Decimal } from '@novation/money';
import { ClearingError } from './clearing-error.js';
import type { MemberQuantity } from './preconditions.js';

/**
 * An open position with the price up to which its PnL has been cash-settled: the last settlement price,
 * or the average entry price if it was never settled. That is ClearingPosition.averageEntryPrice as kept
 * by applyFill and reset by variationMargin; null only for a flat position.
 */
export interface ReferencedPosition extends MemberQuantity {
  readonly referencePrice: Decimal | null;
}

/** The reference price of an open position, which must be present and positive. */
export function requireReferencePrice(position: ReferencedPosition, field: string): Decimal {
  const price = position.referencePrice;
  if (price === null) {
    throw new ClearingError('MISSING_REFERENCE_PRICE', `${field}.referencePrice`, 'is required on an open position');
  }
  if (!price.isFinite() || !price.isPositive() || price.isZero()) {
    throw new ClearingError('NON_POSITIVE_PRICE', `${field}.referencePrice`, `must be > 0, got ${price.toFixed()}`);
  }
  return price;
}
