import type { Decimal } from '@novation/money';
import { Decimal as DecimalValue, roundRequirement } from '@novation/money';
import { ScenarioMarginError } from './scenario-margin-error.js';

/**
 * The ONE place scenario-margin figures leave float64. Scenario maths runs on float64 for speed (a book
 * of 100k accounts x 35 scenarios); amounts that reach the ledger must be Decimal, and a requirement is
 * rounded UP to `scale` so float noise and truncation never lower a margin in the member's favour.
 */
export function scenarioMarginToDecimal(amount: number, scale: number): Decimal {
  if (!Number.isFinite(amount) || amount < 0) {
    throw new ScenarioMarginError('INVALID_PARAMETERS', `a margin must be finite and >= 0, got ${amount}`);
  }
  // Number#toString gives the shortest decimal string that round-trips to the same float64.
  return roundRequirement(new DecimalValue(amount.toString()), scale);
}
