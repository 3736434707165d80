import { portfolioNormalValueAtRisk, singleAssetNormalValueAtRisk } from './parametric-var.js';

// Source for all three cases: Hull, Risk Management and Financial Institutions 3e, Chapter 15 slides
// (Copyright J.C. Hull 2012), "Microsoft/AT&T example", text seen at
// http://www.hezhiquan.com/docs/view/7f6f95514a9f4ad4ba0fb2a651e4955b_2.html and
// http://slideplayer.com/slide/2477374/ . Hull uses z = 2.33 for 99%; tolerance 1 (currency unit).
describe('Hull parametric VaR', () => {
  it('VR-HULL-PARAM-01: $10M Microsoft, daily vol 2%, 10-day 99% VaR = 1,473,621', () => {
    const valueAtRisk = singleAssetNormalValueAtRisk({
      positionValue: 10_000_000,
      dailyVolatility: 0.02,
      zScore: 2.33,
      horizonDays: 10,
    });
    expect(Math.abs(valueAtRisk - 1_473_621)).toBeLessThanOrEqual(1);
  });

  it('VR-HULL-PARAM-02: $5M AT&T, daily vol 1%, 10-day 99% VaR = 368,405', () => {
    const valueAtRisk = singleAssetNormalValueAtRisk({
      positionValue: 5_000_000,
      dailyVolatility: 0.01,
      zScore: 2.33,
      horizonDays: 10,
    });
    expect(Math.abs(valueAtRisk - 368_405)).toBeLessThanOrEqual(1);
  });

  it('VR-HULL-PARAM-03: both, correlation 0.3: σ_P = 220,227, VaR = 1,622,657, diversification 219,369', () => {
    const result = portfolioNormalValueAtRisk({
      dailyStandardDeviations: [200_000, 50_000],
      correlationMatrix: [
        [1, 0.3],
        [0.3, 1],
      ],
      zScore: 2.33,
      horizonDays: 10,
    });
    expect(Math.abs(result.portfolioDailyStandardDeviation - 220_227)).toBeLessThanOrEqual(1);
    expect(Math.abs(result.valueAtRisk - 1_622_657)).toBeLessThanOrEqual(1);
    expect(Math.abs(result.diversificationBenefit - 219_369)).toBeLessThanOrEqual(1);
  });
});
