import { Decimal } from '@novation/money';
import type { Instrument } from '@novation/instruments';
import { ewmaFilteredHistoricalReturns } from '../var/filtered-historical-simulation.js';
import { historicalRiskMeasures } from '../var/historical-var.js';
import { overlappingHorizonReturns, squareRootOfTimeScaled } from '../var/margin-period-of-risk.js';
import type { HistoricalEsMarket } from './historical-es-arrays.js';
import { buildHistoricalEsArrays } from './historical-es-arrays.js';
import { historicalEsMargin } from './historical-es-margin.js';
import type { HistoricalEsParameters } from './historical-es-parameters.js';

// A hand-computable book: one linear perpetual on X, contract size 1, price 100, so a scenario with simple
// return x (log return ln(1 + x)) makes a long contract 100 x and a loss of -100 x.
const PERP: Instrument = {
  id: 'X-PERP',
  kind: 'linear_perpetual',
  underlying: 'X',
  quoteAsset: 'USD',
  settlementAsset: 'USDC',
  contractSize: new Decimal(1),
};

// 40 days alternating +1% / -1%, with: day 7 -10%, day 21 -6%, day 30 -5%, day 12 +8%, day 25 +4%.
const SIMPLE_RETURNS: number[] = Array.from({ length: 40 }, (_, day) => (day % 2 === 0 ? 0.01 : -0.01));
Object.entries({ 7: -0.1, 21: -0.06, 30: -0.05, 12: 0.08, 25: 0.04 }).forEach(([day, value]) => {
  SIMPLE_RETURNS[Number(day)] = value;
});
const LOG_RETURNS = SIMPLE_RETURNS.map((value) => Math.log1p(value));

function market(returns: readonly number[] = LOG_RETURNS, stressed?: readonly number[]): HistoricalEsMarket {
  return {
    valuationEpochMs: 0,
    riskFreeRate: 0,
    underlyingPrices: new Map([['X', 100]]),
    impliedVolatilities: new Map(),
    returnHistory: new Map([['X', returns]]),
    ...(stressed === undefined ? {} : { stressedReturnHistory: new Map([['X', stressed]]) }),
  };
}

const BASE: HistoricalEsParameters = {
  lookbackDays: 40,
  confidence: 0.975,
  measure: 'expected-shortfall',
  marginPeriodOfRiskDays: 1,
  horizonMethod: 'overlapping',
  filtering: { kind: 'none' },
  antiProcyclicality: { kind: 'none' },
  liquidity: {},
  maintenanceFactor: 0.8,
  volatilityFloor: 0.05,
};

function margin(quantity: number, overrides: Partial<HistoricalEsParameters> = {}, data = market()) {
  const parameters = { ...BASE, ...overrides };
  const arrays = buildHistoricalEsArrays([PERP], data, parameters);
  return historicalEsMargin([{ instrumentId: 'X-PERP', quantity }], arrays, parameters);
}

describe('historicalEsMargin, hand-computed cases (40 scenarios)', () => {
  it('at 97.5% the tail is k = ceil(40 x 0.025) = 1 scenario: ES = VaR = worst loss 10 (day 7)', () => {
    const result = margin(1);
    expect(result.tailScenarioIndexes).toEqual([7]);
    expect(result.valueAtRisk).toBeCloseTo(10, 9);
    expect(result.expectedShortfall).toBeCloseTo(10, 9);
    expect(result.bindingScenario).toEqual({ index: 7, description: 'historical day 7' });
    expect(result.initialMargin).toBeCloseTo(10, 9);
    expect(result.maintenanceMargin).toBeCloseTo(8, 9);
    expect(result.settlementAsset).toBe('USDC');
  });

  it('at 95% k = 2: VaR = 6 (day 21), ES = (10 + 6) / 2 = 8', () => {
    const result = margin(1, { confidence: 0.95 });
    expect(result.tailScenarioIndexes).toEqual([7, 21]);
    expect(result.valueAtRisk).toBeCloseTo(6, 9);
    expect(result.expectedShortfall).toBeCloseTo(8, 9);
    expect(result.riskMeasure).toBeCloseTo(8, 9);
  });

  it('at 90% k = 4: losses 10, 6, 5, 1; the tied 1s are taken by lowest day (day 1): ES = 22 / 4 = 5.5', () => {
    const result = margin(1, { confidence: 0.9 });
    expect(result.tailScenarioIndexes).toEqual([7, 21, 30, 1]);
    expect(result.valueAtRisk).toBeCloseTo(1, 9);
    expect(result.expectedShortfall).toBeCloseTo(5.5, 9);
  });

  it('measure value-at-risk sets the margin from VaR', () => {
    const result = margin(1, { confidence: 0.95, measure: 'value-at-risk' });
    expect(result.riskMeasure).toBeCloseTo(6, 9);
    expect(result.positions[0]?.contributionToRiskMeasure).toBeCloseTo(6, 9);
  });

  it('2 contracts short lose 200 x on up days: 16 (day 12), 8 (day 25); ES at 95% = 12', () => {
    const result = margin(-2, { confidence: 0.95 });
    expect(result.tailScenarioIndexes).toEqual([12, 25]);
    expect(result.expectedShortfall).toBeCloseTo(12, 9);
    expect(result.positions[0]?.standaloneRiskMeasure).toBeCloseTo(12, 9);
    expect(result.positions[0]?.contributionToRiskMeasure).toBeCloseTo(12, 9);
  });

  it('the look-back keeps the most recent days: 30 of 40 start at day 10, so day 21 (loss 6) binds', () => {
    const result = margin(1, { lookbackDays: 30 });
    expect(result.scenarioLosses).toHaveLength(30);
    expect(result.bindingScenario).toEqual({ index: 11, description: 'historical day 21' });
    expect(result.expectedShortfall).toBeCloseTo(6, 9);
  });

  it('a flat account needs nothing; a portfolio whose tail makes money is floored at 0', () => {
    expect(margin(0).initialMargin).toBe(0);
    const allUp = LOG_RETURNS.map(() => Math.log1p(0.02));
    const result = margin(1, {}, market(allUp));
    expect(result.expectedShortfall).toBeCloseTo(-2, 9);
    expect(result.riskMeasure).toBe(0);
    expect(result.initialMargin).toBe(0);
  });

  it('an empty account has no settlement asset, no binding scenario and no tail', () => {
    const arrays = buildHistoricalEsArrays([PERP], market(), BASE);
    const result = historicalEsMargin([], arrays, BASE);
    expect(result.settlementAsset).toBeUndefined();
    expect(result.bindingScenario).toBeUndefined();
    expect(result.tailScenarioIndexes).toEqual([]);
    expect(result.initialMargin).toBe(0);
  });
});

describe('margin period of risk', () => {
  it('overlapping: h = 2 gives 39 windows summing two daily log returns, as overlappingHorizonReturns', () => {
    const parameters = { ...BASE, lookbackDays: 39, marginPeriodOfRiskDays: 2 };
    const arrays = buildHistoricalEsArrays([PERP], market(), parameters);
    const expected = overlappingHorizonReturns(SIMPLE_RETURNS, 2).map((value) => Math.log1p(value));
    Array.from(arrays.historical.scenarioLogReturns.get('X') ?? []).forEach((value, index) => {
      expect(value).toBeCloseTo(expected[index] ?? Number.NaN, 12);
    });
    // Worst 2-day window: days 6-7, 1.01 x 0.90 - 1 = -9.1%, a loss of 9.1.
    const result = historicalEsMargin([{ instrumentId: 'X-PERP', quantity: 1 }], arrays, parameters);
    expect(result.bindingScenario).toEqual({ index: 6, description: 'historical days 6-7' });
    expect(result.expectedShortfall).toBeCloseTo(9.1, 9);
  });

  it('square-root-of-time: the measure is sqrt(h) x the 1-day measure', () => {
    const oneDay = margin(1, { confidence: 0.95 });
    const fiveDay = margin(1, { confidence: 0.95, marginPeriodOfRiskDays: 5, horizonMethod: 'square-root-of-time' });
    expect(fiveDay.expectedShortfall).toBeCloseTo(squareRootOfTimeScaled(oneDay.expectedShortfall, 5), 9);
    expect(fiveDay.valueAtRisk).toBeCloseTo(Math.sqrt(5) * 6, 9);
    expect(fiveDay.bindingScenario?.description).toBe('historical day 7');
  });

  it('a linear position ES equals historicalRiskMeasures of its P&L vector', () => {
    const parameters = { ...BASE, confidence: 0.95, lookbackDays: 39, marginPeriodOfRiskDays: 2 };
    const arrays = buildHistoricalEsArrays([PERP], market(), parameters);
    const profits = (overlappingHorizonReturns(SIMPLE_RETURNS, 2) as number[]).map((value) => -3 * 100 * value);
    const expected = historicalRiskMeasures(profits, 0.95);
    const result = historicalEsMargin([{ instrumentId: 'X-PERP', quantity: -3 }], arrays, parameters);
    expect(result.expectedShortfall).toBeCloseTo(expected.expectedShortfall, 9);
    expect(result.valueAtRisk).toBeCloseTo(expected.valueAtRisk, 9);
  });
});

describe('EWMA filtering', () => {
  const filtering = { kind: 'ewma', decay: 0.94, seedWindowDays: 10 } as const;

  it('rescales each return by sigma_now / sigma_t, as ewmaFilteredHistoricalReturns, after a dropped seed window', () => {
    const parameters = { ...BASE, lookbackDays: 30, filtering };
    const arrays = buildHistoricalEsArrays([PERP], market(), parameters);
    const seed = LOG_RETURNS.slice(0, 10);
    const seedVariance = seed.reduce((sum, value) => sum + value * value, 0) / 10;
    const expected = ewmaFilteredHistoricalReturns({ returns: LOG_RETURNS.slice(10), decay: 0.94, seedVariance });
    expect(Array.from(arrays.historical.scenarioLogReturns.get('X') ?? [])).toEqual(expected);
    expect(arrays.historical.startDayIndexes[0]).toBe(10);
    expect(expected).not.toEqual(LOG_RETURNS.slice(10));
  });

  it('without a seed window, the whole series seeds the variance and every day stays a scenario', () => {
    const parameters = { ...BASE, filtering: { kind: 'ewma', decay: 0.94 } as const };
    const arrays = buildHistoricalEsArrays([PERP], market(), parameters);
    const seedVariance = LOG_RETURNS.reduce((sum, value) => sum + value * value, 0) / 40;
    const expected = ewmaFilteredHistoricalReturns({ returns: LOG_RETURNS, decay: 0.94, seedVariance });
    expect(Array.from(arrays.historical.scenarioLogReturns.get('X') ?? [])).toEqual(expected);
  });

  it('reprices at the filtered returns: ES (k = 1) = -100 x (exp(min filtered return) - 1)', () => {
    const seedVariance = LOG_RETURNS.slice(0, 10).reduce((sum, value) => sum + value * value, 0) / 10;
    const filtered = ewmaFilteredHistoricalReturns({ returns: LOG_RETURNS.slice(10), decay: 0.94, seedVariance });
    const result = margin(1, { lookbackDays: 30, filtering });
    expect(result.expectedShortfall).toBeCloseTo(-100 * Math.expm1(Math.min(...filtered)), 9);
    // The -10% day (day 7) sits in the dropped seed window; the -6% day 21 is rescaled away from 6.
    expect(result.bindingScenario?.description).toBe('historical day 21');
    expect(result.expectedShortfall).not.toBeCloseTo(6, 3);
  });
});

describe('anti-procyclicality', () => {
  it('buffer: IM = R x (1 + 0.25) = 8 x 1.25 = 10, add-on 2, MM = 10 x 0.8', () => {
    const result = margin(1, { confidence: 0.95, antiProcyclicality: { kind: 'buffer', bufferFraction: 0.25 } });
    expect(result.antiProcyclicalityAddOn).toBeCloseTo(2, 9);
    expect(result.initialMargin).toBeCloseTo(10, 9);
    expect(result.maintenanceMargin).toBeCloseTo(8, 9);
  });

  it('stress-period floor: IM = max(R, 0.75 R + 0.25 R_stressed) = max(8, 6 + 0.25 x 20) = 11', () => {
    // 20 stressed days, worst -20%: at 95% k = ceil(20 x 0.05) = 1, R_stressed = 20.
    const stressed = Array.from({ length: 20 }, (_, day) => Math.log1p(day === 3 ? -0.2 : day === 10 ? -0.1 : 0));
    const parameters = { confidence: 0.95, antiProcyclicality: { kind: 'stress-period-floor', weight: 0.25 } as const };
    const result = margin(1, parameters, market(LOG_RETURNS, stressed));
    expect(result.antiProcyclicalityAddOn).toBeCloseTo(3, 9);
    expect(result.initialMargin).toBeCloseTo(11, 9);
  });

  it('stress-period floor does not bind when the stressed measure is below the current one', () => {
    const stressed = Array.from({ length: 20 }, (_, day) => Math.log1p(day === 3 ? -0.02 : 0));
    const parameters = { confidence: 0.95, antiProcyclicality: { kind: 'stress-period-floor', weight: 0.25 } as const };
    const result = margin(1, parameters, market(LOG_RETURNS, stressed));
    expect(result.antiProcyclicalityAddOn).toBe(0);
    expect(result.initialMargin).toBeCloseTo(8, 9);
  });
});

describe('liquidity add-on', () => {
  // N = 100 per contract, Q = 10, spread 0.1%, impact 1%.
  const liquidity = { 'X-PERP': { liquidQuantity: 10, spreadFraction: 0.001, impactFraction: 0.01 } };

  it('below Q only the spread: 4 contracts cost 100 x 0.001 x 4 = 0.4, long or short', () => {
    expect(margin(4, { liquidity }).liquidityAddOn).toBeCloseTo(0.4, 12);
    expect(margin(-4, { liquidity }).liquidityAddOn).toBeCloseTo(0.4, 12);
  });

  it('above Q the impact: 14 contracts cost 1.4 + 100 x 0.01 x 4^1.5 / sqrt(10) = 1.4 + 8 / sqrt(10)', () => {
    const result = margin(14, { confidence: 0.95, liquidity });
    expect(result.liquidityAddOn).toBeCloseTo(1.4 + 8 / Math.sqrt(10), 12);
    expect(result.positions[0]?.liquidityAddOn).toBeCloseTo(result.liquidityAddOn, 15);
    expect(result.initialMargin).toBeCloseTo(14 * 8 + result.liquidityAddOn, 9);
  });

  it('an instrument without an entry gets no add-on', () => {
    expect(margin(1000, { liquidity: {} }).liquidityAddOn).toBe(0);
  });
});
