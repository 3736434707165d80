import { assertFiniteSeries, assertPositiveFinite, VAR_OBSERVATION_COUNT_MAX } from './var-preconditions.js';

/**
 * Historical simulation scenarios (Hull, Risk Management and Financial Institutions, chapter "Historical
 * Simulation", Tables 14.1-14.3): scenario i applies the market move from day i-1 to day i to today's
 * levels,
 *   level_i = v_n x v_i / v_{i-1}
 * so n+1 days of history give n scenarios, each a proportional (not absolute) change.
 *
 * `history` is days x variables, oldest first; `currentLevels` are today's levels (v_n), usually the last
 * row of history but given separately so a scenario window may end before today.
 */
export interface HistoricalScenarioInput {
  readonly history: readonly (readonly number[])[];
  readonly currentLevels: readonly number[];
}

export function historicalScenarioLevels(input: HistoricalScenarioInput): number[][] {
  assertScenarioInput(input);
  const { history, currentLevels } = input;
  const scenarios: number[][] = [];
  for (let day = 1; day < history.length; day += 1) {
    const previous = history[day - 1] ?? [];
    const current = history[day] ?? [];
    scenarios.push(
      currentLevels.map((level, variable) => (level * (current[variable] ?? 0)) / (previous[variable] ?? 1)),
    );
  }
  return scenarios;
}

export interface HistoricalScenarioValuation {
  /** Portfolio value in each scenario: Σ_j holdingValue_j x v_i,j / v_{i-1},j. */
  readonly scenarioValues: number[];
  /** scenarioValue - current value (Σ holdingValues): profit positive, ready for historicalRiskMeasures. */
  readonly scenarioProfitAndLoss: number[];
}

/**
 * Values a portfolio of linear holdings (today's value of each, in currency) in every scenario. Hull's
 * $10M example: holdings 4,000 / 3,000 / 1,000 / 2,000 ($000s) in DJIA, FTSE, CAC, Nikkei.
 */
export function historicalScenarioValuation(
  input: HistoricalScenarioInput & { readonly holdingValues: readonly number[] },
): HistoricalScenarioValuation {
  assertScenarioInput(input);
  const { history, holdingValues } = input;
  assertFiniteSeries('holdingValues', holdingValues, input.currentLevels.length);
  if (holdingValues.length !== input.currentLevels.length) {
    throw new RangeError('holdingValues must have one value per variable');
  }
  const currentValue = holdingValues.reduce((sum, value) => sum + value, 0);
  const scenarioValues: number[] = [];
  for (let day = 1; day < history.length; day += 1) {
    const previous = history[day - 1] ?? [];
    const current = history[day] ?? [];
    scenarioValues.push(
      holdingValues.reduce(
        (sum, holding, variable) => sum + (holding * (current[variable] ?? 0)) / (previous[variable] ?? 1),
        0,
      ),
    );
  }
  return { scenarioValues, scenarioProfitAndLoss: scenarioValues.map((value) => value - currentValue) };
}

function assertScenarioInput(input: HistoricalScenarioInput): void {
  const { history, currentLevels } = input;
  if (history.length < 2) throw new RangeError(`history needs at least 2 days, got ${history.length}`);
  if (history.length > VAR_OBSERVATION_COUNT_MAX)
    throw new RangeError(`history longer than ${VAR_OBSERVATION_COUNT_MAX} days`);
  assertFiniteSeries('currentLevels', currentLevels, 1);
  currentLevels.forEach((level, variable) => assertPositiveFinite(`currentLevels[${variable}]`, level));
  history.forEach((row, day) => {
    if (row.length !== currentLevels.length) {
      throw new RangeError(`history[${day}] must have ${currentLevels.length} levels, got ${row.length}`);
    }
    row.forEach((level, variable) => assertPositiveFinite(`history[${day}][${variable}]`, level));
  });
}
