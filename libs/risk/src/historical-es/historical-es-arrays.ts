import type { Instrument } from '@novation/instruments';
import type { ContractValuer, ScenarioMarketSnapshot } from '../scenario/contract-valuer.js';
import { contractValuer, underlyingNotional, underlyingPrice } from '../scenario/contract-valuer.js';
import { ScenarioMarginError } from '../scenario/scenario-margin-error.js';
import { historicalTailCount } from '../var/historical-var.js';
import { HistoricalEsError } from './historical-es-error.js';
import type { HistoricalEsMeasure, HistoricalEsParameters } from './historical-es-parameters.js';
import { arrayShapingKey, assertValidHistoricalEsParameters } from './historical-es-parameters.js';
import type { ScenarioReturnOptions, ScenarioReturnSeries } from './scenario-returns.js';
import { scenarioLogReturns } from './scenario-returns.js';
import { tailMeasures } from './tail-selection.js';

/**
 * Market data of the model: today's snapshot plus daily LOG returns per underlying, oldest first. All
 * series have the same length and the same dates at the same index: scenario s moves every underlying by
 * its return of the same historical day, which is what keeps the correlations of the history.
 */
export interface HistoricalEsMarket extends ScenarioMarketSnapshot {
  readonly returnHistory: ReadonlyMap<string, readonly number[]>;
  /** Daily log returns of a stress period (e.g. March 2020); needed only by the stress-period floor. */
  readonly stressedReturnHistory?: ReadonlyMap<string, readonly number[]>;
}

/** One set of scenarios (the look-back window, or the stress period) revalued for every instrument. */
export interface HistoricalEsScenarioSet {
  readonly scenarioCount: number;
  /** k = ceil(n x (1 - confidence)): the scenarios in the ES tail. */
  readonly tailCount: number;
  /** Scenario log returns over the margin period of risk (1-day for square-root-of-time), per underlying. */
  readonly scenarioLogReturns: ReadonlyMap<string, Float64Array>;
  /** First and last day (index into the daily series) each scenario spans. */
  readonly startDayIndexes: Int32Array;
  readonly endDayIndexes: Int32Array;
  /** Row-major instruments x scenarios: loss of ONE long contract in its settlement asset (profit negative). */
  readonly lossMatrix: Float64Array;
  /** Risk measure of one contract held alone, long and short: |q| times it is a position's standalone measure. */
  readonly longRiskMeasurePerContract: Float64Array;
  readonly shortRiskMeasurePerContract: Float64Array;
}

/** Everything the per-portfolio loop needs, built once per snapshot. */
export interface HistoricalEsArrays {
  /** The parameters the arrays were built with; margin calls with other parameters must agree on their shape. */
  readonly parameters: HistoricalEsParameters;
  readonly shapingKey: string;
  readonly instrumentIds: readonly string[];
  readonly instrumentIndexById: ReadonlyMap<string, number>;
  readonly settlementAssets: readonly string[];
  readonly underlyings: readonly string[];
  /** Underlying notional of one contract in its settlement asset: the base of the liquidity add-on. */
  readonly underlyingNotionalPerContract: Float64Array;
  readonly historical: HistoricalEsScenarioSet;
  /** Present when the arrays were built for the stress-period floor. */
  readonly stressed: HistoricalEsScenarioSet | undefined;
}

/** Instruments per build. */
export const HISTORICAL_ES_INSTRUMENT_COUNT_MAX = 100_000;
/** Cells of one loss matrix (instruments x scenarios): 50 million float64 = 400 MB. */
export const HISTORICAL_ES_MATRIX_CELL_COUNT_MAX = 50_000_000;

/**
 * Revalues every instrument under every historical scenario. Call once per snapshot, not per account.
 * Scenario s moves each underlying to price x exp(r_s) and reprices in full (Black-76 or inverse options
 * through contractValuer). Limitations, stated because they matter for options: implied volatility is held
 * at today's level (no historical vol-surface moves) and no time passes over the margin period of risk
 * (no theta).
 */
export function buildHistoricalEsArrays(
  instruments: readonly Instrument[],
  market: HistoricalEsMarket,
  parameters: HistoricalEsParameters,
): HistoricalEsArrays {
  assertValidHistoricalEsParameters(parameters);
  if (instruments.length > HISTORICAL_ES_INSTRUMENT_COUNT_MAX) {
    throw new HistoricalEsError('INVALID_PARAMETERS', `more than ${HISTORICAL_ES_INSTRUMENT_COUNT_MAX} instruments`);
  }
  if (!Number.isFinite(market.riskFreeRate) || !Number.isFinite(market.valuationEpochMs)) {
    throw new HistoricalEsError('MISSING_MARKET_DATA', 'riskFreeRate and valuationEpochMs must be finite');
  }
  const instrumentIndexById = indexInstruments(instruments);
  const underlyings = instruments.map((instrument) => instrument.underlying);
  const valuers = instruments.map((instrument) => valuerOf(instrument, market, parameters));
  const historical = scenarioSet('returnHistory', market.returnHistory, underlyings, valuers, parameters, {
    filtering: parameters.filtering,
    marginPeriodOfRiskDays: parameters.marginPeriodOfRiskDays,
    horizonMethod: parameters.horizonMethod,
    lookbackDays: parameters.lookbackDays,
  });
  const stressed =
    parameters.antiProcyclicality.kind === 'stress-period-floor'
      ? stressedScenarioSet(market, underlyings, valuers, parameters)
      : undefined;
  return {
    parameters,
    shapingKey: arrayShapingKey(parameters),
    instrumentIds: instruments.map((instrument) => instrument.id),
    instrumentIndexById,
    settlementAssets: instruments.map((instrument) => instrument.settlementAsset),
    underlyings,
    underlyingNotionalPerContract: Float64Array.from(valuers, (valuer, index) =>
      translated(() => underlyingNotional(instruments[index] as Instrument, valuer.price)),
    ),
    historical,
    stressed,
  };
}

/** A contract's pricer with today's underlying price and value, so a scenario P&L is one call. */
interface InstrumentValuer {
  readonly id: string;
  readonly value: ContractValuer;
  readonly price: number;
  readonly baseValue: number;
}

function valuerOf(
  instrument: Instrument,
  market: HistoricalEsMarket,
  parameters: HistoricalEsParameters,
): InstrumentValuer {
  return translated(() => {
    const value = contractValuer(instrument, market, { volatilityFloor: parameters.volatilityFloor });
    const price = underlyingPrice(market, instrument.underlying);
    return { id: instrument.id, value, price, baseValue: value(price, 0) };
  });
}

function indexInstruments(instruments: readonly Instrument[]): Map<string, number> {
  const indexById = new Map<string, number>();
  instruments.forEach((instrument, index) => {
    if (indexById.has(instrument.id)) {
      throw new HistoricalEsError('INVALID_PARAMETERS', `instrument ${instrument.id} appears twice`);
    }
    indexById.set(instrument.id, index);
  });
  return indexById;
}

/**
 * The stress period is used as recorded: not filtered (rescaling it to today's volatility would remove the
 * stress) and not cut to the look-back, but taken to the same horizon as the look-back scenarios.
 */
function stressedScenarioSet(
  market: HistoricalEsMarket,
  underlyings: readonly string[],
  valuers: readonly InstrumentValuer[],
  parameters: HistoricalEsParameters,
): HistoricalEsScenarioSet {
  if (market.stressedReturnHistory === undefined) {
    throw new HistoricalEsError('MISSING_MARKET_DATA', 'stress-period-floor needs stressedReturnHistory');
  }
  return scenarioSet('stressedReturnHistory', market.stressedReturnHistory, underlyings, valuers, parameters, {
    filtering: { kind: 'none' },
    marginPeriodOfRiskDays: parameters.marginPeriodOfRiskDays,
    horizonMethod: parameters.horizonMethod,
    lookbackDays: undefined,
  });
}

function scenarioSet(
  historyName: string,
  history: ReadonlyMap<string, readonly number[]>,
  underlyings: readonly string[],
  valuers: readonly InstrumentValuer[],
  parameters: HistoricalEsParameters,
  options: ScenarioReturnOptions,
): HistoricalEsScenarioSet {
  const seriesByUnderlying = underlyingScenarioReturns(historyName, history, underlyings, options);
  const first = seriesByUnderlying.values().next().value;
  const scenarioCount = first?.logReturns.length ?? parameters.lookbackDays;
  if (valuers.length * scenarioCount > HISTORICAL_ES_MATRIX_CELL_COUNT_MAX) {
    throw new HistoricalEsError(
      'INVALID_PARAMETERS',
      `instruments x scenarios exceeds ${HISTORICAL_ES_MATRIX_CELL_COUNT_MAX}`,
    );
  }
  const tailCount = historicalTailCount(scenarioCount, parameters.confidence);
  // Square-root-of-time scales the 1-day P&L; overlapping returns already span the horizon.
  const pnlScale =
    parameters.horizonMethod === 'square-root-of-time' ? Math.sqrt(parameters.marginPeriodOfRiskDays) : 1;
  const lossMatrix = new Float64Array(valuers.length * scenarioCount);
  const longRiskMeasurePerContract = new Float64Array(valuers.length);
  const shortRiskMeasurePerContract = new Float64Array(valuers.length);
  valuers.forEach((valuer, index) => {
    const returns = seriesByUnderlying.get(underlyings[index] ?? '')?.logReturns ?? new Float64Array(scenarioCount);
    const row = lossMatrix.subarray(index * scenarioCount, (index + 1) * scenarioCount);
    translated(() => fillLossRow(row, valuer, returns, pnlScale));
    longRiskMeasurePerContract[index] = measureOf(tailMeasures(row, tailCount), parameters.measure);
    shortRiskMeasurePerContract[index] = measureOf(
      tailMeasures(
        row.map((loss) => -loss),
        tailCount,
      ),
      parameters.measure,
    );
  });
  return {
    scenarioCount,
    tailCount,
    scenarioLogReturns: new Map([...seriesByUnderlying].map(([underlying, series]) => [underlying, series.logReturns])),
    startDayIndexes: first?.startDayIndexes ?? new Int32Array(scenarioCount),
    endDayIndexes: first?.endDayIndexes ?? new Int32Array(scenarioCount),
    lossMatrix,
    longRiskMeasurePerContract,
    shortRiskMeasurePerContract,
  };
}

/** Loss of one long contract per scenario: -(V(S e^r) - V(S)) x scale, full revaluation, vol held constant. */
function fillLossRow(row: Float64Array, valuer: InstrumentValuer, returns: Float64Array, pnlScale: number): void {
  for (let scenario = 0; scenario < row.length; scenario += 1) {
    const moved = valuer.price * Math.exp(returns[scenario] ?? 0);
    const loss = -(valuer.value(moved, 0) - valuer.baseValue) * pnlScale;
    if (!Number.isFinite(loss)) {
      throw new HistoricalEsError('MISSING_MARKET_DATA', `non-finite P&L for ${valuer.id} in scenario ${scenario}`);
    }
    row[scenario] = loss;
  }
}

/**
 * Scenario returns of every underlying the instruments need. Every series of the history must have the
 * same length (they are aligned by date), including series no instrument uses: a ragged history means the
 * dates are not aligned, and silently using it would pair returns of different days.
 */
function underlyingScenarioReturns(
  historyName: string,
  history: ReadonlyMap<string, readonly number[]>,
  underlyings: readonly string[],
  options: ScenarioReturnOptions,
): Map<string, ScenarioReturnSeries> {
  let length: number | undefined;
  for (const [underlying, series] of history) {
    length ??= series.length;
    if (series.length !== length) {
      throw new HistoricalEsError(
        'MISSING_MARKET_DATA',
        `${historyName} series are not aligned: ${underlying} has ${series.length} days, another has ${length}`,
      );
    }
  }
  const result = new Map<string, ScenarioReturnSeries>();
  for (const underlying of new Set(underlyings)) {
    const series = history.get(underlying);
    if (series === undefined)
      throw new HistoricalEsError('MISSING_MARKET_DATA', `${historyName} has no series for ${underlying}`);
    result.set(underlying, scenarioLogReturns(`${historyName}[${underlying}]`, series, options));
  }
  return result;
}

export function measureOf(
  measures: { readonly valueAtRisk: number; readonly expectedShortfall: number },
  measure: HistoricalEsMeasure,
): number {
  return measure === 'expected-shortfall' ? measures.expectedShortfall : measures.valueAtRisk;
}

/** The scenario pricer reports its own typed errors; they keep their code under this model's error type. */
function translated<T>(compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    if (error instanceof ScenarioMarginError) throw new HistoricalEsError(error.code, error.message);
    throw error;
  }
}
