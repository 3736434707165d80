import { chiSquareSurvivalProbability } from './chi-square.js';
import { assertExpectedExceptionProbability, bernoulliLogLikelihood, likelihoodRatio } from './likelihood-ratio.js';

/**
 * Kupiec's proportion-of-failures test (Kupiec, "Techniques for verifying the accuracy of risk
 * measurement models", Journal of Derivatives 1995): is the exception rate x / n consistent with the
 * model's p = 1 - confidence?
 *   LR_POF = -2 ln[(1 - p)^(n - x) p^x] + 2 ln[(1 - x/n)^(n - x) (x/n)^x]   ~ χ²(1) under H0
 * with 0 ln 0 = 0 when x = 0 or x = n. The p-value is P(χ²(1) > LR_POF); a small p-value rejects the
 * model (too many exceptions, or too few, which means margins are needlessly high).
 */
export interface LikelihoodRatioTest {
  readonly likelihoodRatio: number;
  readonly pValue: number;
}

export function kupiecProportionOfFailures(input: {
  readonly observationCount: number;
  readonly exceptionCount: number;
  /** p = 1 - confidence of the margin model (0.01 for 99%). */
  readonly expectedExceptionProbability: number;
}): LikelihoodRatioTest {
  const { observationCount, exceptionCount, expectedExceptionProbability } = input;
  if (!Number.isSafeInteger(observationCount) || observationCount < 1) {
    throw new RangeError(`observationCount must be an integer >= 1, got ${observationCount}`);
  }
  if (!Number.isSafeInteger(exceptionCount) || exceptionCount < 0 || exceptionCount > observationCount) {
    throw new RangeError(`exceptionCount must be an integer in [0, observationCount], got ${exceptionCount}`);
  }
  assertExpectedExceptionProbability(expectedExceptionProbability);
  const observedRate = exceptionCount / observationCount;
  const statistic = likelihoodRatio(
    bernoulliLogLikelihood(observationCount, exceptionCount, expectedExceptionProbability),
    bernoulliLogLikelihood(observationCount, exceptionCount, observedRate),
  );
  return { likelihoodRatio: statistic, pValue: chiSquareSurvivalProbability(statistic, 1) };
}
