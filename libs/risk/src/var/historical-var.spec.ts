import { historicalRiskMeasures, historicalTailCount } from './historical-var.js';

describe('historicalTailCount: k = ceil(n x (1 - c)), at least 1', () => {
  it.each([
    [250, 0.99, 3], // ceil(2.5)
    [100, 0.99, 1], // 1.0000000000000009 in float64, read as 1
    [500, 0.99, 5],
    [1000, 0.975, 25],
    [10, 0.99, 1], // 0.1 -> at least one observation
    [1, 0.5, 1],
  ])('n = %i, c = %d -> k = %i', (observationCount, confidence, expected) => {
    expect(historicalTailCount(observationCount, confidence)).toBe(expected);
  });
});

describe('historicalRiskMeasures', () => {
  // Alternating gains and losses of 1..100, for the order test.
  const profitAndLoss = Array.from({ length: 100 }, (_, index) => (index % 2 === 0 ? -(index + 1) : index + 1));
  const losses = Array.from({ length: 100 }, (_, index) => -(index + 1));

  // Losses 1..100 at 95%: k = 5, VaR = the 5th worst = 96, ES = (100 + 99 + 98 + 97 + 96) / 5 = 98.
  it('VaR is the k-th worst loss and ES the mean of the k worst', () => {
    expect(historicalRiskMeasures(losses, 0.95)).toEqual({ tailCount: 5, valueAtRisk: 96, expectedShortfall: 98 });
  });

  it('does not depend on the order of the scenarios', () => {
    const reversed = [...profitAndLoss].reverse();
    expect(historicalRiskMeasures(reversed, 0.9)).toEqual(historicalRiskMeasures(profitAndLoss, 0.9));
  });

  it('ties: k counts observations, so four tied worst losses at k = 3 give VaR = ES = the tied value', () => {
    expect(historicalRiskMeasures([-7, -7, -7, -7, 1, 2, 3, 4, 5, 6], 0.7)).toEqual({
      tailCount: 3,
      valueAtRisk: 7,
      expectedShortfall: 7,
    });
  });

  it('a tail made only of gains gives a negative VaR: gains 1, 2, 3 at 50% -> k = 2, VaR = -2, ES = -1.5', () => {
    expect(historicalRiskMeasures([1, 2, 3], 0.5)).toEqual({ tailCount: 2, valueAtRisk: -2, expectedShortfall: -1.5 });
  });

  it.each([
    [[], 0.99, /at least 1/],
    [[1, Number.NaN], 0.99, /finite/],
    [[1, Number.POSITIVE_INFINITY], 0.99, /finite/],
    [[1], 1, /confidence/],
    [[1], 0, /confidence/],
  ])('rejects %p at confidence %d', (values, confidence, message) => {
    expect(() => historicalRiskMeasures(values, confidence)).toThrow(message);
  });
});
