import fc from 'fast-check';
import { historicalRiskMeasures } from './historical-var.js';

// Properties of the historical measures (historical-var.ts): ES >= VaR; ES is subadditive over two P&L
// vectors on the same scenarios; VaR and ES are positively homogeneous. Floating-point sums get a
// relative slack of 1e-9 (the compensated sum keeps the real error far smaller).
const profitAndLoss = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }), {
  minLength: 1,
  maxLength: 300,
});
const confidence = fc.constantFrom(0.5, 0.9, 0.95, 0.975, 0.99, 0.995);
const runs = { numRuns: 300, seed: 20240601 };

function slack(...values: number[]): number {
  return 1e-9 * Math.max(1, ...values.map(Math.abs));
}

describe('historical VaR / ES properties', () => {
  it('ES >= VaR', () => {
    fc.assert(
      fc.property(profitAndLoss, confidence, (values, level) => {
        const { valueAtRisk, expectedShortfall } = historicalRiskMeasures(values, level);
        return expectedShortfall >= valueAtRisk;
      }),
      runs,
    );
  });

  it('ES(a + b) <= ES(a) + ES(b) for two P&L vectors over the same scenarios', () => {
    const pair = fc
      .integer({ min: 1, max: 300 })
      .chain((length) =>
        fc.tuple(
          fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: length, maxLength: length }),
          fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: length, maxLength: length }),
        ),
      );
    fc.assert(
      fc.property(pair, confidence, ([first, second], level) => {
        const combined = first.map((value, index) => value + (second[index] ?? 0));
        const left = historicalRiskMeasures(combined, level).expectedShortfall;
        const right =
          historicalRiskMeasures(first, level).expectedShortfall +
          historicalRiskMeasures(second, level).expectedShortfall;
        return left <= right + slack(left, right);
      }),
      runs,
    );
  });

  it('VaR and ES are positively homogeneous: ρ(λX) = λρ(X) for λ > 0', () => {
    fc.assert(
      fc.property(
        profitAndLoss,
        confidence,
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        (values, level, scale) => {
          const base = historicalRiskMeasures(values, level);
          const scaled = historicalRiskMeasures(
            values.map((value) => value * scale),
            level,
          );
          const varGap = Math.abs(scaled.valueAtRisk - scale * base.valueAtRisk);
          const esGap = Math.abs(scaled.expectedShortfall - scale * base.expectedShortfall);
          return varGap <= slack(scaled.valueAtRisk) && esGap <= slack(scaled.expectedShortfall);
        },
      ),
      runs,
    );
  });
});
