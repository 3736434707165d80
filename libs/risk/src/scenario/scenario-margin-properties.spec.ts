import fc from 'fast-check';
import { bookScenarioMargin } from './book-margin.js';
import { DERIBIT_STYLE_EXAMPLE_PARAMETERS, SPAN_16_EXAMPLE_PARAMETERS } from './example-parameters.js';
import type { ScenarioPosition } from './portfolio-margin.js';
import { portfolioScenarioMargin } from './portfolio-margin.js';
import { buildRiskArrays } from './risk-arrays.js';
import { TEST_INSTRUMENTS, TEST_SNAPSHOT } from './scenario-test-book.js';

// Properties a coherent scenario margin must have (Artzner et al.): the short-option and net-delta
// add-ons are linear in contracts and convex, so with no offsets IM stays homogeneous and subadditive.
describe.each([
  ['Deribit-style', DERIBIT_STYLE_EXAMPLE_PARAMETERS],
  ['SPAN 16', SPAN_16_EXAMPLE_PARAMETERS],
])('scenario margin properties, %s grid', (_name, parameters) => {
  const riskArrays = buildRiskArrays(TEST_INSTRUMENTS, TEST_SNAPSHOT, parameters);
  const positionArbitrary = fc.record({
    instrumentId: fc.constantFrom(...riskArrays.instrumentIds),
    quantity: fc.double({ min: -50, max: 50, noNaN: true }),
  });
  const portfolioArbitrary = fc.array(positionArbitrary, { maxLength: 12 });
  const margin = (positions: readonly ScenarioPosition[]): number =>
    portfolioScenarioMargin(positions, riskArrays, parameters).initialMargin;
  const tolerance = (scale: number): number => 1e-9 * (1 + Math.abs(scale));

  it('IM >= MM >= 0', () => {
    fc.assert(
      fc.property(portfolioArbitrary, (positions) => {
        const result = portfolioScenarioMargin(positions, riskArrays, parameters);
        expect(result.initialMargin).toBeGreaterThanOrEqual(result.maintenanceMargin);
        expect(result.maintenanceMargin).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 200, seed: 42 },
    );
  });

  it('is positively homogeneous: IM(k x positions) = k x IM(positions)', () => {
    fc.assert(
      fc.property(portfolioArbitrary, fc.double({ min: 0.01, max: 100, noNaN: true }), (positions, factor) => {
        const scaled = positions.map((position) => ({ ...position, quantity: position.quantity * factor }));
        const expected = factor * margin(positions);
        expect(Math.abs(margin(scaled) - expected)).toBeLessThanOrEqual(tolerance(expected));
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('is subadditive: IM(a + b) <= IM(a) + IM(b)', () => {
    fc.assert(
      fc.property(portfolioArbitrary, portfolioArbitrary, (first, second) => {
        const separate = margin(first) + margin(second);
        expect(margin([...first, ...second])).toBeLessThanOrEqual(separate + tolerance(separate));
      }),
      { numRuns: 200, seed: 11 },
    );
  });

  it('the typed-array book path agrees with the per-account path', () => {
    fc.assert(
      fc.property(fc.array(portfolioArbitrary, { maxLength: 6 }), (accounts) => {
        const positions = accounts.flat();
        const accountStarts = Int32Array.from([
          0,
          ...accounts.map((_, index) => accounts.slice(0, index + 1).flat().length),
        ]);
        const book = {
          accountStarts,
          instrumentIndexes: Int32Array.from(
            positions,
            (p) => riskArrays.instrumentIndexById.get(p.instrumentId) ?? -1,
          ),
          quantities: Float64Array.from(positions, (position) => position.quantity),
        };
        const margins = bookScenarioMargin(book, riskArrays, parameters);
        accounts.forEach((account, index) => {
          const expected = margin(account);
          expect(Math.abs((margins[index] ?? Number.NaN) - expected)).toBeLessThanOrEqual(tolerance(expected));
        });
      }),
      { numRuns: 100, seed: 3 },
    );
  });
});
