import { chiSquareSurvivalProbability } from './chi-square.js';
import { kupiecProportionOfFailures, type LikelihoodRatioTest } from './kupiec.js';
import { assertExpectedExceptionProbability, countTimesLog, likelihoodRatio } from './likelihood-ratio.js';

/**
 * Christoffersen's tests (Christoffersen, "Evaluating interval forecasts", International Economic
 * Review 1998). Exceptions should not cluster: a model that is right on average but misses in runs
 * (typically after a volatility jump) leaves a clearinghouse short of margin exactly when it matters.
 *
 * Transition counts n_ij over consecutive days (i = yesterday, j = today; 1 = exception):
 *   π01 = n01 / (n00 + n01),  π11 = n11 / (n10 + n11),  π = (n01 + n11) / (n00 + n01 + n10 + n11)
 *   LR_ind = -2 ln[(1 - π)^(n00 + n10) π^(n01 + n11)]
 *            + 2 ln[(1 - π01)^n00 π01^n01 (1 - π11)^n10 π11^n11]          ~ χ²(1)
 *   LR_cc  = LR_POF + LR_ind                                               ~ χ²(2)
 * with 0 ln 0 = 0 (a state never visited contributes nothing). LR_POF (kupiec.ts) uses all n
 * observations while LR_ind uses the n - 1 transitions: the usual practical form of LR_cc
 * (Christoffersen 1998 eq. (11) conditions on the first observation; the difference is one day).
 */
export interface TransitionCounts {
  readonly noExceptionThenNoException: number;
  readonly noExceptionThenException: number;
  readonly exceptionThenNoException: number;
  readonly exceptionThenException: number;
}

export interface ChristoffersenIndependenceTest extends LikelihoodRatioTest {
  readonly transitionCounts: TransitionCounts;
}

export interface ChristoffersenConditionalCoverageTest extends LikelihoodRatioTest {
  readonly unconditionalCoverage: LikelihoodRatioTest;
  readonly independence: ChristoffersenIndependenceTest;
}

export function exceptionTransitionCounts(exceptionIndicators: readonly boolean[]): TransitionCounts {
  const counts = [0, 0, 0, 0];
  for (let day = 1; day < exceptionIndicators.length; day += 1) {
    const index = (exceptionIndicators[day - 1] === true ? 2 : 0) + (exceptionIndicators[day] === true ? 1 : 0);
    counts[index] = (counts[index] ?? 0) + 1;
  }
  const [n00 = 0, n01 = 0, n10 = 0, n11 = 0] = counts;
  return {
    noExceptionThenNoException: n00,
    noExceptionThenException: n01,
    exceptionThenNoException: n10,
    exceptionThenException: n11,
  };
}

export function christoffersenIndependence(exceptionIndicators: readonly boolean[]): ChristoffersenIndependenceTest {
  if (exceptionIndicators.length < 2) throw new RangeError('the independence test needs at least 2 observations');
  const transitionCounts = exceptionTransitionCounts(exceptionIndicators);
  const {
    noExceptionThenNoException: n00,
    noExceptionThenException: n01,
    exceptionThenNoException: n10,
    exceptionThenException: n11,
  } = transitionCounts;
  const fromNoException = n00 + n01;
  const fromException = n10 + n11;
  const pi01 = fromNoException === 0 ? 0 : n01 / fromNoException;
  const pi11 = fromException === 0 ? 0 : n11 / fromException;
  const pi = (n01 + n11) / (fromNoException + fromException);
  const restricted = countTimesLog(n00 + n10, 1 - pi) + countTimesLog(n01 + n11, pi);
  const unrestricted =
    countTimesLog(n00, 1 - pi01) + countTimesLog(n01, pi01) + countTimesLog(n10, 1 - pi11) + countTimesLog(n11, pi11);
  const statistic = likelihoodRatio(restricted, unrestricted);
  return { likelihoodRatio: statistic, pValue: chiSquareSurvivalProbability(statistic, 1), transitionCounts };
}

export function christoffersenConditionalCoverage(input: {
  readonly exceptionIndicators: readonly boolean[];
  readonly expectedExceptionProbability: number;
}): ChristoffersenConditionalCoverageTest {
  const { exceptionIndicators, expectedExceptionProbability } = input;
  assertExpectedExceptionProbability(expectedExceptionProbability);
  const unconditionalCoverage = kupiecProportionOfFailures({
    observationCount: exceptionIndicators.length,
    exceptionCount: exceptionIndicators.filter(Boolean).length,
    expectedExceptionProbability,
  });
  const independence = christoffersenIndependence(exceptionIndicators);
  const statistic = unconditionalCoverage.likelihoodRatio + independence.likelihoodRatio;
  return {
    likelihoodRatio: statistic,
    pValue: chiSquareSurvivalProbability(statistic, 2),
    unconditionalCoverage,
    independence,
  };
}
