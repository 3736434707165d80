import { ewmaFilteredHistoricalReturns } from '../var/filtered-historical-simulation.js';
import { HistoricalEsError } from './historical-es-error.js';
import type { HistoricalEsFiltering, HistoricalEsParameters } from './historical-es-parameters.js';

/** Longest daily history accepted per underlying: 80 years of trading days. */
export const HISTORICAL_ES_HISTORY_DAYS_MAX = 20_000;

/**
 * Scenario log returns of one underlying, oldest first, with the history days each one spans (indexes into
 * the daily series, both ends included), so a binding scenario can be named by its dates.
 */
export interface ScenarioReturnSeries {
  readonly logReturns: Float64Array;
  readonly startDayIndexes: Int32Array;
  readonly endDayIndexes: Int32Array;
}

export interface ScenarioReturnOptions {
  readonly filtering: HistoricalEsFiltering;
  readonly marginPeriodOfRiskDays: number;
  readonly horizonMethod: HistoricalEsParameters['horizonMethod'];
  /** Keep only this many most recent scenarios; undefined keeps them all (the stressed period). */
  readonly lookbackDays: number | undefined;
}

/**
 * Daily log returns -> scenario log returns, in this order:
 * 1. filter (EWMA, filtered historical simulation) over the whole series, so the volatility estimate is
 *    warmed up by days older than the look-back;
 * 2. horizon: 'overlapping' sums h consecutive daily log returns (window t spans days t..t+h-1);
 *    'square-root-of-time' keeps the 1-day returns (the P&L is scaled by sqrt(h) later, see the arrays);
 * 3. keep the last `lookbackDays` scenarios; fewer available is MISSING_MARKET_DATA, never a silent
 *    shorter window.
 */
export function scenarioLogReturns(
  name: string,
  dailyLogReturns: readonly number[],
  options: ScenarioReturnOptions,
): ScenarioReturnSeries {
  assertDailySeries(name, dailyLogReturns);
  const { returns: filtered, firstDayIndex } = filterReturns(name, dailyLogReturns, options.filtering);
  const horizonDays = options.horizonMethod === 'overlapping' ? options.marginPeriodOfRiskDays : 1;
  if (filtered.length < horizonDays) {
    fail(`${name} has ${filtered.length} usable daily returns, fewer than the ${horizonDays}-day horizon`);
  }
  const windows = horizonDays === 1 ? filtered : horizonLogReturns(filtered, horizonDays);
  const keep = options.lookbackDays ?? windows.length;
  if (windows.length < keep) {
    fail(`${name} gives ${windows.length} scenarios, fewer than lookbackDays ${keep}`);
  }
  const firstWindow = windows.length - keep;
  const startDayIndexes = Int32Array.from({ length: keep }, (_, scenario) => firstDayIndex + firstWindow + scenario);
  return {
    logReturns: Float64Array.from(windows.slice(firstWindow)),
    startDayIndexes,
    endDayIndexes: startDayIndexes.map((start) => start + horizonDays - 1),
  };
}

function assertDailySeries(name: string, dailyLogReturns: readonly number[]): void {
  if (dailyLogReturns.length === 0 || dailyLogReturns.length > HISTORICAL_ES_HISTORY_DAYS_MAX) {
    fail(`${name} must hold 1 to ${HISTORICAL_ES_HISTORY_DAYS_MAX} daily returns, got ${dailyLogReturns.length}`);
  }
  dailyLogReturns.forEach((value, index) => {
    if (!Number.isFinite(value)) fail(`${name}[${index}] must be a finite log return, got ${value}`);
  });
}

function filterReturns(
  name: string,
  dailyLogReturns: readonly number[],
  filtering: HistoricalEsFiltering,
): { returns: readonly number[]; firstDayIndex: number } {
  if (filtering.kind === 'none') return { returns: dailyLogReturns, firstDayIndex: 0 };
  const seedDays = filtering.seedWindowDays ?? 0;
  if (seedDays >= dailyLogReturns.length) {
    fail(`${name} has ${dailyLogReturns.length} daily returns, not more than seedWindowDays ${seedDays}`);
  }
  const seedWindow = seedDays === 0 ? dailyLogReturns : dailyLogReturns.slice(0, seedDays);
  const seedVariance = seedWindow.reduce((sum, value) => sum + value * value, 0) / seedWindow.length;
  if (!(seedVariance > 0) || !Number.isFinite(seedVariance)) {
    fail(`${name}: the EWMA seed window has zero variance, so no volatility to filter with`);
  }
  const returns = dailyLogReturns.slice(seedDays);
  try {
    const filtered = ewmaFilteredHistoricalReturns({ returns, decay: filtering.decay, seedVariance });
    return { returns: filtered, firstDayIndex: seedDays };
  } catch (error) {
    // A long run of zero returns can decay the EWMA variance below float64's range: no volatility to divide by.
    if (error instanceof RangeError) fail(`${name}: EWMA filtering failed: ${error.message}`);
    throw error;
  }
}

/**
 * Overlapping h-day log returns: window t sums the daily log returns of days t..t+h-1 (the log of the
 * compounded h-day growth), the window convention of overlappingHorizonReturns, which the spec checks.
 * Summed in log space rather than through that function, because filtered returns can be large enough
 * for exp() to overflow; each window is re-summed (h is small) so no running sum drifts.
 */
function horizonLogReturns(dailyLogReturns: readonly number[], horizonDays: number): number[] {
  const windows: number[] = [];
  for (let start = 0; start + horizonDays <= dailyLogReturns.length; start += 1) {
    let sum = 0;
    for (let offset = 0; offset < horizonDays; offset += 1) sum += dailyLogReturns[start + offset] ?? 0;
    windows.push(sum);
  }
  return windows;
}

function fail(detail: string): never {
  throw new HistoricalEsError('MISSING_MARKET_DATA', detail);
}
