import { regularizedLowerIncompleteGamma, regularizedUpperIncompleteGamma } from './incomplete-gamma.js';

/**
 * Chi-square distribution with k degrees of freedom: F(x; k) = P(k/2, x/2), the regularized lower
 * incomplete gamma function (Abramowitz and Stegun 26.4.19), and the survival 1 - F = Q(k/2, x/2),
 * computed directly so that small p-values keep their precision. The likelihood-ratio backtests use
 * k = 1 (Kupiec, Christoffersen independence) and k = 2 (Christoffersen conditional coverage).
 */
export function chiSquareCumulativeProbability(statistic: number, degreesOfFreedom: number): number {
  assertChiSquareArguments(statistic, degreesOfFreedom);
  return regularizedLowerIncompleteGamma(degreesOfFreedom / 2, statistic / 2);
}

/** P(X > statistic): the p-value of a likelihood-ratio statistic. */
export function chiSquareSurvivalProbability(statistic: number, degreesOfFreedom: number): number {
  assertChiSquareArguments(statistic, degreesOfFreedom);
  return regularizedUpperIncompleteGamma(degreesOfFreedom / 2, statistic / 2);
}

/** Degrees of freedom above this are outside any backtest here and outside the tested accuracy. */
const DEGREES_OF_FREEDOM_MAX = 1_000;

function assertChiSquareArguments(statistic: number, degreesOfFreedom: number): void {
  if (!(statistic >= 0)) throw new RangeError(`chi-square statistic must be >= 0, got ${statistic}`);
  if (!Number.isInteger(degreesOfFreedom) || degreesOfFreedom < 1 || degreesOfFreedom > DEGREES_OF_FREEDOM_MAX) {
    throw new RangeError(
      `degreesOfFreedom must be an integer in [1, ${DEGREES_OF_FREEDOM_MAX}], got ${degreesOfFreedom}`,
    );
  }
}
