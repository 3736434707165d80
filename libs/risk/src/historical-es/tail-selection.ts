import { compensatedSum } from '../var/var-preconditions.js';

/**
 * Indexes of the `count` largest losses, largest first; on equal losses the lower index ranks first, so
 * the tail (and the binding scenario) is deterministic. A sorted buffer of `count` entries filled in one
 * pass: k = ceil(n (1 - c)) is small (63 of 2,500 at 97.5%), and after the buffer fills only a loss beyond
 * its smallest entry is inserted, so the pass costs about n comparisons instead of an n log n sort.
 */
export function worstLossIndexes(losses: Float64Array, count: number): Int32Array {
  const indexes = new Int32Array(count);
  const values = new Float64Array(count);
  let filled = 0;
  // The smallest loss held once the buffer is full; -Infinity while it fills, so every loss enters.
  let threshold = Number.NEGATIVE_INFINITY;
  for (let scenario = 0; scenario < losses.length; scenario += 1) {
    const loss = losses[scenario] ?? 0;
    // Strictly greater: an equal loss at a higher index ranks below the one already held.
    if (!(loss > threshold)) continue;
    let position = filled < count ? filled : count - 1;
    filled = Math.min(filled + 1, count);
    while (position > 0 && (values[position - 1] ?? 0) < loss) {
      values[position] = values[position - 1] ?? 0;
      indexes[position] = indexes[position - 1] ?? 0;
      position -= 1;
    }
    values[position] = loss;
    indexes[position] = scenario;
    if (filled === count) threshold = values[count - 1] ?? 0;
  }
  return indexes;
}

/** VaR and ES of a loss vector, the convention of historicalRiskMeasures (historical-var.ts). */
export interface TailMeasures {
  readonly tailIndexes: Int32Array;
  /** The k-th worst loss. */
  readonly valueAtRisk: number;
  /** Mean of the k worst losses. */
  readonly expectedShortfall: number;
}

/**
 * VaR = the k-th worst loss, ES = the mean of the k worst, with k = tailCount. The tail is summed from the
 * k-th worst to the worst with the compensated sum, as historicalRiskMeasures does, so both agree to the
 * last bit; max() removes a rounding of the mean below VaR.
 */
export function tailMeasures(losses: Float64Array, tailCount: number): TailMeasures {
  const tailIndexes = worstLossIndexes(losses, tailCount);
  const tailLosses = new Float64Array(tailCount);
  for (let rank = 0; rank < tailCount; rank += 1)
    tailLosses[tailCount - 1 - rank] = losses[tailIndexes[rank] ?? 0] ?? 0;
  const valueAtRisk = tailLosses[0] ?? 0;
  const expectedShortfall = Math.max(valueAtRisk, compensatedSum(tailLosses) / tailCount);
  return { tailIndexes, valueAtRisk, expectedShortfall };
}
