/**
 * Binomial distribution tails, summed in log space: log pmf(0) = n log(1 - p), then the ratio
 *   pmf(j + 1) / pmf(j) = (n - j) / (j + 1) x p / (1 - p)
 * gives every log pmf without factorials (which overflow past 170!) and with an error of one rounding per
 * step. Tails are combined with log-sum-exp, so terms of 1e-300 and below neither underflow to a wrong
 * zero nor swamp the sum. The upper tail is summed directly, not as 1 - CDF, so a small Type I error
 * keeps its digits.
 */

/** Most trials accepted: ten years of daily observations are ~2,500; a million leaves ample room. */
export const BINOMIAL_TRIALS_MAX = 1_000_000;

/** P(X <= successes) for X ~ Binomial(trials, probability). */
export function binomialCumulativeProbability(successes: number, trials: number, probability: number): number {
  assertBinomialArguments(successes, trials, probability);
  if (successes >= trials) return 1;
  if (successes < 0) return 0;
  if (probability === 0) return 1;
  if (probability === 1) return 0;
  return Math.min(1, Math.exp(logSumExp(logProbabilityMasses(trials, probability).subarray(0, successes + 1))));
}

/** P(X >= successes): the probability of at least `successes` exceptions. */
export function binomialUpperTailProbability(successes: number, trials: number, probability: number): number {
  assertBinomialArguments(successes, trials, probability);
  if (successes <= 0) return 1;
  if (successes > trials) return 0;
  if (probability === 0) return 0;
  if (probability === 1) return 1;
  return Math.min(1, Math.exp(logSumExp(logProbabilityMasses(trials, probability).subarray(successes))));
}

function assertBinomialArguments(successes: number, trials: number, probability: number): void {
  if (!Number.isSafeInteger(successes)) throw new RangeError(`successes must be an integer, got ${successes}`);
  if (!Number.isSafeInteger(trials) || trials < 0 || trials > BINOMIAL_TRIALS_MAX) {
    throw new RangeError(`trials must be an integer in [0, ${BINOMIAL_TRIALS_MAX}], got ${trials}`);
  }
  if (!(probability >= 0 && probability <= 1))
    throw new RangeError(`probability must be in [0, 1], got ${probability}`);
}

/** log pmf(j) for j = 0..n, for 0 < p < 1. */
function logProbabilityMasses(trials: number, probability: number): Float64Array {
  const masses = new Float64Array(trials + 1);
  const logOdds = Math.log(probability) - Math.log1p(-probability);
  masses[0] = trials * Math.log1p(-probability);
  for (let successes = 0; successes < trials; successes += 1) {
    masses[successes + 1] = (masses[successes] ?? 0) + Math.log(trials - successes) - Math.log(successes + 1) + logOdds;
  }
  return masses;
}

function logSumExp(values: Float64Array): number {
  let maximum = Number.NEGATIVE_INFINITY;
  for (const value of values) maximum = Math.max(maximum, value);
  if (maximum === Number.NEGATIVE_INFINITY) return maximum;
  let sum = 0;
  for (const value of values) sum += Math.exp(value - maximum);
  return maximum + Math.log(sum);
}
