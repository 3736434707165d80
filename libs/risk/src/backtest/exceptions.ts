/**
 * Backtest exceptions: days on which the realised loss exceeded the margin (or VaR) held for that day.
 * Strict inequality: a loss exactly equal to the margin was covered. Losses are positive numbers (a
 * gain is a negative loss); margins must be >= 0.
 */
export interface BacktestExceptions {
  /** One flag per observation, oldest first: the input of the Christoffersen independence test. */
  readonly exceptionIndicators: readonly boolean[];
  readonly observationCount: number;
  readonly exceptionCount: number;
  /** Share of observations whose loss the margin covered: (n - exceptions) / n. */
  readonly coverageRatio: number;
}

/** Longest backtest accepted; matches the binomial and likelihood-ratio limits. */
export const BACKTEST_OBSERVATION_COUNT_MAX = 1_000_000;

export function backtestExceptions(input: {
  readonly requirements: readonly number[];
  readonly realisedLosses: readonly number[];
}): BacktestExceptions {
  const { requirements, realisedLosses } = input;
  if (requirements.length !== realisedLosses.length) {
    throw new RangeError(
      `requirements (${requirements.length}) and realisedLosses (${realisedLosses.length}) differ in length`,
    );
  }
  if (requirements.length === 0) throw new RangeError('a backtest needs at least one observation');
  if (requirements.length > BACKTEST_OBSERVATION_COUNT_MAX) {
    throw new RangeError(`a backtest has at most ${BACKTEST_OBSERVATION_COUNT_MAX} observations`);
  }
  const exceptionIndicators = requirements.map((requirement, index) => {
    const loss = realisedLosses[index] ?? Number.NaN;
    if (!Number.isFinite(requirement) || requirement < 0) {
      throw new RangeError(`requirements[${index}] must be finite and >= 0, got ${requirement}`);
    }
    if (!Number.isFinite(loss)) throw new RangeError(`realisedLosses[${index}] must be finite, got ${loss}`);
    return loss > requirement;
  });
  const exceptionCount = exceptionIndicators.filter(Boolean).length;
  const observationCount = exceptionIndicators.length;
  return {
    exceptionIndicators,
    observationCount,
    exceptionCount,
    coverageRatio: (observationCount - exceptionCount) / observationCount,
  };
}
