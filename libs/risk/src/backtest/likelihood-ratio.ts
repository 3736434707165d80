/**
 * Shared pieces of the likelihood-ratio backtests.
 */

/** count x ln(probability), with 0 x ln(0) = 0: the convention that makes a Bernoulli log-likelihood finite. */
export function countTimesLog(count: number, probability: number): number {
  return count === 0 ? 0 : count * Math.log(probability);
}

/** Log-likelihood of `failures` in `trials` Bernoulli draws with failure probability p. */
export function bernoulliLogLikelihood(trials: number, failures: number, probability: number): number {
  return countTimesLog(trials - failures, 1 - probability) + countTimesLog(failures, probability);
}

export function assertExpectedExceptionProbability(probability: number): void {
  if (!(probability > 0 && probability < 1)) {
    throw new RangeError(`expectedExceptionProbability must be in (0, 1), got ${probability}`);
  }
}

/** A likelihood ratio is >= 0 by construction; round-off can leave -1e-15, which is clamped. */
export function likelihoodRatio(restrictedLogLikelihood: number, unrestrictedLogLikelihood: number): number {
  return Math.max(0, -2 * (restrictedLogLikelihood - unrestrictedLogLikelihood));
}
