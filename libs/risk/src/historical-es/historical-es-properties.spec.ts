import fc from 'fast-check';
import { contractValuer } from '../scenario/contract-valuer.js';
import { TEST_INSTRUMENTS } from '../scenario/scenario-test-book.js';
import { historicalRiskMeasures } from '../var/historical-var.js';
import { buildHistoricalEsArrays } from './historical-es-arrays.js';
import type { HistoricalEsPosition } from './historical-es-margin.js';
import { historicalEsMargin } from './historical-es-margin.js';
import type { HistoricalEsParameters } from './historical-es-parameters.js';
import { TEST_MARKET, TEST_PARAMETERS } from './historical-es-test-market.js';
import { historicalEsLiquidityAddOn } from './liquidity-add-on.js';
import { worstLossIndexes } from './tail-selection.js';

// Coherence of the model (Artzner et al. 1999): ES of a P&L vector is a maximum of tail averages, so the
// risk measure is positively homogeneous and subadditive for any positions; the buffer and the stress
// floor keep both. The liquidity add-on is convex but deliberately not homogeneous, so it is tested apart.
const tolerance = (scale: number): number => 1e-9 * (1 + Math.abs(scale));
const instrumentIds = TEST_INSTRUMENTS.map((instrument) => instrument.id);

/** One position per instrument, as the model requires: duplicates are netted. */
function netted(positions: readonly HistoricalEsPosition[]): HistoricalEsPosition[] {
  const byInstrument = new Map<string, number>();
  for (const position of positions) {
    byInstrument.set(position.instrumentId, (byInstrument.get(position.instrumentId) ?? 0) + position.quantity);
  }
  return [...byInstrument].map(([instrumentId, quantity]) => ({ instrumentId, quantity }));
}

const portfolioArbitrary = fc
  .array(
    fc.record({
      instrumentId: fc.constantFrom(...instrumentIds),
      quantity: fc.double({ min: -50, max: 50, noNaN: true }),
    }),
    { maxLength: 10 },
  )
  .map(netted);

describe.each<[string, HistoricalEsParameters]>([
  ['ES, EWMA-filtered, overlapping 2-day', TEST_PARAMETERS],
  [
    'VaR, unfiltered, square-root-of-time 5-day, buffer',
    {
      ...TEST_PARAMETERS,
      measure: 'value-at-risk',
      filtering: { kind: 'none' },
      horizonMethod: 'square-root-of-time',
      marginPeriodOfRiskDays: 5,
      antiProcyclicality: { kind: 'buffer', bufferFraction: 0.25 },
    },
  ],
  [
    'ES with the stress-period floor',
    { ...TEST_PARAMETERS, antiProcyclicality: { kind: 'stress-period-floor', weight: 0.25 } },
  ],
])('historical-ES properties, %s', (_name, parameters) => {
  const arrays = buildHistoricalEsArrays(TEST_INSTRUMENTS, TEST_MARKET, parameters);
  const margin = (positions: readonly HistoricalEsPosition[]) => historicalEsMargin(positions, arrays, parameters);

  it('IM >= MM >= 0', () => {
    fc.assert(
      fc.property(portfolioArbitrary, (positions) => {
        const result = margin(positions);
        expect(result.initialMargin).toBeGreaterThanOrEqual(result.maintenanceMargin);
        expect(result.maintenanceMargin).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 150, seed: 42 },
    );
  });

  it('is positively homogeneous: IM(k x positions) = k x IM(positions) without liquidity add-on', () => {
    fc.assert(
      fc.property(portfolioArbitrary, fc.double({ min: 0.01, max: 100, noNaN: true }), (positions, factor) => {
        const scaled = positions.map((position) => ({ ...position, quantity: position.quantity * factor }));
        const base = margin(positions);
        const result = margin(scaled);
        expect(Math.abs(result.riskMeasure - factor * base.riskMeasure)).toBeLessThanOrEqual(
          tolerance(factor * base.riskMeasure),
        );
        expect(Math.abs(result.initialMargin - factor * base.initialMargin)).toBeLessThanOrEqual(
          tolerance(factor * base.initialMargin),
        );
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  it('is subadditive when measured by ES: IM(a + b) <= IM(a) + IM(b)', () => {
    // VaR is not subadditive (the classic counterexample); only the ES parameter sets are checked.
    if (parameters.measure !== 'expected-shortfall') return;
    fc.assert(
      fc.property(portfolioArbitrary, portfolioArbitrary, (first, second) => {
        const separate = margin(first).initialMargin + margin(second).initialMargin;
        expect(margin(netted([...first, ...second])).initialMargin).toBeLessThanOrEqual(separate + tolerance(separate));
      }),
      { numRuns: 150, seed: 11 },
    );
  });

  it('contributions sum to the unfloored measure; standalone measures bound each position', () => {
    fc.assert(
      fc.property(portfolioArbitrary, (positions) => {
        const result = margin(positions);
        const total = result.positions.reduce((sum, position) => sum + position.contributionToRiskMeasure, 0);
        const measure = parameters.measure === 'expected-shortfall' ? result.expectedShortfall : result.valueAtRisk;
        expect(Math.abs(total - measure)).toBeLessThanOrEqual(1e-7 * (1 + Math.abs(measure)));
        for (const position of result.positions) {
          const alone = margin([{ instrumentId: position.instrumentId, quantity: position.quantity }]);
          expect(Math.abs(position.standaloneRiskMeasure - alone.riskMeasure)).toBeLessThanOrEqual(
            tolerance(alone.riskMeasure),
          );
        }
      }),
      { numRuns: 60, seed: 3 },
    );
  });
});

describe('full revaluation', () => {
  const arrays = buildHistoricalEsArrays(TEST_INSTRUMENTS, TEST_MARKET, TEST_PARAMETERS);

  it.each(instrumentIds)('%s: ES equals historicalRiskMeasures of its P&L from contractValuer', (instrumentId) => {
    const instrument = TEST_INSTRUMENTS.find((candidate) => candidate.id === instrumentId);
    if (instrument === undefined) throw new Error('test book changed');
    const valuer = contractValuer(instrument, TEST_MARKET, { volatilityFloor: TEST_PARAMETERS.volatilityFloor });
    const price = TEST_MARKET.underlyingPrices.get(instrument.underlying) ?? Number.NaN;
    const returns = arrays.historical.scenarioLogReturns.get(instrument.underlying) ?? new Float64Array();
    const quantity = -3;
    const profits = Array.from(returns, (value) => quantity * (valuer(price * Math.exp(value), 0) - valuer(price, 0)));
    const expected = historicalRiskMeasures(profits, TEST_PARAMETERS.confidence);
    const result = historicalEsMargin([{ instrumentId, quantity }], arrays, TEST_PARAMETERS);
    expect(result.expectedShortfall).toBeCloseTo(expected.expectedShortfall, 8);
    expect(result.valueAtRisk).toBeCloseTo(expected.valueAtRisk, 8);
  });
});

describe('liquidity add-on', () => {
  const liquidity = { liquidQuantity: 25, spreadFraction: 0.0005, impactFraction: 0.02 };

  it('is zero up to Q without spread, and positive beyond it', () => {
    const impactOnly = { ...liquidity, spreadFraction: 0 };
    fc.assert(
      fc.property(fc.double({ min: -25, max: 25, noNaN: true }), (quantity) => {
        expect(historicalEsLiquidityAddOn(1000, quantity, impactOnly)).toBe(0);
      }),
      { numRuns: 200, seed: 5 },
    );
    expect(historicalEsLiquidityAddOn(1000, 26, impactOnly)).toBeGreaterThan(0);
    expect(historicalEsLiquidityAddOn(1000, -26, impactOnly)).toBeGreaterThan(0);
  });

  it('is convex in the quantity: f((a + b) / 2) <= (f(a) + f(b)) / 2', () => {
    const cost = (quantity: number): number => historicalEsLiquidityAddOn(1000, quantity, liquidity);
    fc.assert(
      fc.property(
        fc.double({ min: -1000, max: 1000, noNaN: true }),
        fc.double({ min: -1000, max: 1000, noNaN: true }),
        (first, second) => {
          const chord = (cost(first) + cost(second)) / 2;
          expect(cost((first + second) / 2)).toBeLessThanOrEqual(chord + tolerance(chord));
        },
      ),
      { numRuns: 500, seed: 13 },
    );
  });

  it('makes the whole requirement convex in an added quantity', () => {
    const parameters = { ...TEST_PARAMETERS, liquidity: { 'BTC-PERP': liquidity } };
    const arrays = buildHistoricalEsArrays(TEST_INSTRUMENTS, TEST_MARKET, parameters);
    const book = [{ instrumentId: 'BTC-7D-60000-C', quantity: -20 }];
    const requirement = (added: number): number =>
      historicalEsMargin([...book, { instrumentId: 'BTC-PERP', quantity: added }], arrays, parameters).initialMargin;
    fc.assert(
      fc.property(
        fc.double({ min: -500, max: 500, noNaN: true }),
        fc.double({ min: -500, max: 500, noNaN: true }),
        (a, b) => {
          const chord = (requirement(a) + requirement(b)) / 2;
          expect(requirement((a + b) / 2)).toBeLessThanOrEqual(chord + tolerance(chord));
        },
      ),
      { numRuns: 200, seed: 17 },
    );
  });
});

describe('worstLossIndexes', () => {
  it('equals a full sort by (loss descending, index ascending), ties included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 200 }),
        (values, requested) => {
          const count = Math.min(requested, values.length);
          const expected = values
            .map((loss, index) => ({ loss, index }))
            .sort((first, second) => second.loss - first.loss || first.index - second.index)
            .slice(0, count)
            .map((entry) => entry.index);
          expect(Array.from(worstLossIndexes(Float64Array.from(values), count))).toEqual(expected);
        },
      ),
      { numRuns: 300, seed: 19 },
    );
  });
});
