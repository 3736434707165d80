import { binomialCumulativeProbability, binomialUpperTailProbability } from './binomial.js';

describe('binomial tails', () => {
  it('P(X <= k) + P(X >= k + 1) = 1', () => {
    for (const successes of [0, 1, 3, 7, 20]) {
      const total =
        binomialCumulativeProbability(successes, 250, 0.01) + binomialUpperTailProbability(successes + 1, 250, 0.01);
      expect(total).toBeCloseTo(1, 13);
    }
  });

  it('small n by hand: n = 3, p = 0.5 -> P(X <= 1) = 4/8, P(X >= 3) = 1/8', () => {
    expect(binomialCumulativeProbability(1, 3, 0.5)).toBeCloseTo(0.5, 15);
    expect(binomialUpperTailProbability(3, 3, 0.5)).toBeCloseTo(0.125, 15);
  });

  it('keeps far tails that a 1 - CDF would lose: P(X >= 30 | 250, 0.01) = 6.298144989835e-23', () => {
    // Expected: exact sum of C(250, j) 0.01^j 0.99^(250 - j) for j = 30..250 (Python math.comb); 1 - CDF
    // would return 0 here, since the CDF rounds to 1 in float64.
    const tail = binomialUpperTailProbability(30, 250, 0.01);
    expect(Math.abs(tail / 6.298144989835471e-23 - 1)).toBeLessThan(1e-11);
  });

  it('handles the degenerate edges', () => {
    expect(binomialCumulativeProbability(250, 250, 0.01)).toBe(1);
    expect(binomialCumulativeProbability(-1, 250, 0.01)).toBe(0);
    expect(binomialUpperTailProbability(0, 250, 0.01)).toBe(1);
    expect(binomialUpperTailProbability(1, 250, 0)).toBe(0);
    expect(binomialCumulativeProbability(3, 250, 1)).toBe(0);
  });

  it('rejects a probability outside [0, 1] and too many trials', () => {
    expect(() => binomialCumulativeProbability(1, 10, 1.5)).toThrow(/probability/);
    expect(() => binomialCumulativeProbability(1, 2_000_000, 0.01)).toThrow(/trials/);
  });
});
