import { assertConfidence, assertFiniteSeries, compensatedSum } from './var-preconditions.js';

/**
 * Historical VaR and Expected Shortfall of a P&L vector (one value per scenario, profit positive).
 *
 * Convention (stated exactly, because VaR conventions differ between sources):
 * - losses are L_i = -P&L_i, sorted so that L_(1) >= L_(2) >= ... >= L_(n) (L_(1) the worst);
 * - the tail count is k = ceil(n x (1 - c)), at least 1;
 * - VaR_c = L_(k), the k-th worst loss. With n = 250 and c = 0.99, k = ceil(2.5) = 3: the third worst.
 * - ES_c = (L_(1) + ... + L_(k)) / k, the mean of the k worst losses: the losses at or beyond VaR.
 * Ties: k counts observations, not distinct values, so tied losses at the boundary are taken by count
 * (which tied ones are taken does not change the result). Defined this way ES is the mean of the k
 * largest losses, a maximum of averages over k scenarios, hence coherent: subadditive and positively
 * homogeneous (Acerbi and Tasche, "On the coherence of expected shortfall", 2002, for k = n(1 - c)
 * integer). VaR is positively homogeneous but not subadditive.
 * Small n: k >= 1 always, so with n x (1 - c) < 1 both measures are the single worst loss.
 * Sign: a negative VaR or ES means that even the tail scenarios make money; callers that need a
 * requirement floor it at zero.
 */
export interface HistoricalRiskMeasures {
  readonly tailCount: number;
  readonly valueAtRisk: number;
  readonly expectedShortfall: number;
}

/**
 * k = ceil(n x (1 - c)), at least 1. n x (1 - c) is computed in float64, where 1 - 0.99 is
 * 0.010000000000000009, so 100 x (1 - 0.99) is 1.0000000000000009 and a bare ceil would give 2. A
 * relative slack of 1e-9 snaps such products to the integer they represent. Confidences are parameters
 * with a few decimals (0.99, 0.975, 0.995), whose fractional tails (2.5) are far from that slack; only a
 * confidence given to nine or more significant digits could land within it, and it is then read as the
 * integer tail.
 */
export function historicalTailCount(observationCount: number, confidence: number): number {
  assertConfidence(confidence);
  if (!Number.isSafeInteger(observationCount) || observationCount < 1) {
    throw new RangeError(`observationCount must be an integer >= 1, got ${observationCount}`);
  }
  const exact = observationCount * (1 - confidence);
  const nearest = Math.round(exact);
  const tail = Math.abs(exact - nearest) <= 1e-9 * Math.max(1, exact) ? nearest : Math.ceil(exact);
  return Math.min(observationCount, Math.max(1, tail));
}

export function historicalRiskMeasures(profitAndLoss: readonly number[], confidence: number): HistoricalRiskMeasures {
  assertFiniteSeries('profitAndLoss', profitAndLoss, 1);
  const tailCount = historicalTailCount(profitAndLoss.length, confidence);
  // Typed-array sort is numeric; ascending, so the k worst losses are the last k entries.
  const losses = Float64Array.from(profitAndLoss, (value) => -value).sort();
  const tail = losses.subarray(losses.length - tailCount);
  const valueAtRisk = tail[0] ?? Number.NaN;
  // The mean of values >= VaR is >= VaR; max() only removes a last-bit rounding below it.
  const expectedShortfall = Math.max(valueAtRisk, compensatedSum(tail) / tailCount);
  return { tailCount, valueAtRisk, expectedShortfall };
}

export function historicalValueAtRisk(profitAndLoss: readonly number[], confidence: number): number {
  return historicalRiskMeasures(profitAndLoss, confidence).valueAtRisk;
}

export function historicalExpectedShortfall(profitAndLoss: readonly number[], confidence: number): number {
  return historicalRiskMeasures(profitAndLoss, confidence).expectedShortfall;
}
