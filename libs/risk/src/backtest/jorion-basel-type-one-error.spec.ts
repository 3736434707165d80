import { binomialCumulativeProbability, binomialUpperTailProbability } from './binomial.js';

// Reference case VR-JORION-01. Source: P. Jorion, Value at Risk (3rd ed.), ch. 6 "Backtesting VaR"
// (figures quoted in https://www.bionicturtle.com/forum/threads/jorion-backtesting-questions.6165/).
// Type I error of the Basel cutoff: P(X >= 5 | n = 250, p = 0.01) = 10.8% (tolerance 0.0005).
describe('Jorion: Type I error of the Basel yellow-zone cutoff (VR-JORION-01)', () => {
  it('P(X >= 5 | n = 250, p = 0.01) = 0.108', () => {
    expect(Math.abs(binomialUpperTailProbability(5, 250, 0.01) - 0.108)).toBeLessThanOrEqual(0.0005);
  });

  it('the direct upper tail agrees with 1 - P(X <= 4) (0.107812373...)', () => {
    const direct = binomialUpperTailProbability(5, 250, 0.01);
    expect(direct).toBeCloseTo(0.1078123730963767, 13);
    expect(direct).toBeCloseTo(1 - binomialCumulativeProbability(4, 250, 0.01), 13);
  });
});
