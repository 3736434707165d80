import { chiSquareCumulativeProbability, chiSquareSurvivalProbability } from './chi-square.js';
import { baselTrafficLightBoundaries, baselTrafficLightZone } from './traffic-light.js';

// Basel Committee on Banking Supervision, "Supervisory framework for the use of backtesting in
// conjunction with the internal models approach to market risk capital requirements" (January 1996),
// Table 2 (250 observations, 99% coverage): cumulative probabilities 8.11%, 28.58%, 54.32%, 75.81%,
// 89.22% (4, green), 95.88% (5, yellow), 98.63%, 99.60%, 99.89%, 99.97% (9, yellow), 99.99% (10, red).
describe('Basel traffic light', () => {
  it.each([
    [0, 'green', 0.0811],
    [4, 'green', 0.8922],
    [5, 'yellow', 0.9588],
    [9, 'yellow', 0.9997],
    [10, 'red', 0.9999],
  ])('250 observations at 99%%, %i exceptions: %s (cumulative %d)', (exceptionCount, zone, cumulative) => {
    const result = baselTrafficLightZone({ observationCount: 250, exceptionCount, expectedExceptionProbability: 0.01 });
    expect(result.zone).toBe(zone);
    expect(Math.abs(result.cumulativeProbability - cumulative)).toBeLessThanOrEqual(0.00005 + 1e-12);
  });

  it('generalises through the binomial CDF: green <= 4 / yellow <= 9 at n = 250, 8 / 14 at 500, 14 / 23 at 1,000', () => {
    // Boundaries for 500 and 1,000 computed with exact binomial sums (Python math.comb).
    expect(baselTrafficLightBoundaries({ observationCount: 250, expectedExceptionProbability: 0.01 })).toEqual({
      greenExceptionCountMax: 4,
      yellowExceptionCountMax: 9,
    });
    expect(baselTrafficLightBoundaries({ observationCount: 500, expectedExceptionProbability: 0.01 })).toEqual({
      greenExceptionCountMax: 8,
      yellowExceptionCountMax: 14,
    });
    expect(baselTrafficLightBoundaries({ observationCount: 1000, expectedExceptionProbability: 0.01 })).toEqual({
      greenExceptionCountMax: 14,
      yellowExceptionCountMax: 23,
    });
  });
});

describe('chi-square distribution', () => {
  // Critical values from standard tables (NIST/SEMATECH e-Handbook, table 1.3.6.7.4).
  it.each([
    [3.841458820694124, 1, 0.05],
    [6.634896601021214, 1, 0.01],
    [5.991464547107979, 2, 0.05],
    [9.21034037197618, 2, 0.01],
  ])('P(χ² > %d; k = %i) = %d', (statistic, degreesOfFreedom, expected) => {
    expect(chiSquareSurvivalProbability(statistic, degreesOfFreedom)).toBeCloseTo(expected, 12);
    expect(chiSquareCumulativeProbability(statistic, degreesOfFreedom)).toBeCloseTo(1 - expected, 12);
  });

  it('keeps a tiny tail: P(χ²(2) > 200) = e^{-100}', () => {
    expect(chiSquareSurvivalProbability(200, 2) / Math.exp(-100)).toBeCloseTo(1, 12);
  });

  it('rejects a negative statistic and a non-integer degree of freedom', () => {
    expect(() => chiSquareSurvivalProbability(-1, 1)).toThrow(/>= 0/);
    expect(() => chiSquareSurvivalProbability(1, 1.5)).toThrow(/degreesOfFreedom/);
  });
});
