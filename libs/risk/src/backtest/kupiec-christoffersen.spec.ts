import { backtestExceptions } from './exceptions.js';
import { christoffersenConditionalCoverage, christoffersenIndependence } from './christoffersen.js';
import { kupiecProportionOfFailures } from './kupiec.js';

describe('Kupiec proportion of failures (hand-checked)', () => {
  it('n = 250, x = 5, p = 0.01', () => {
    // LR = -2[245 ln 0.99 + 5 ln 0.01] + 2[245 ln 0.98 + 5 ln 0.02]
    //    = -2[-2.462332 - 23.025851] + 2[-4.949663 - 19.560115] = 50.976366 - 49.019556 = 1.956810
    // p-value = P(χ²(1) > 1.956810) = erfc(√(1.956810 / 2)) = 0.161855
    const result = kupiecProportionOfFailures({
      observationCount: 250,
      exceptionCount: 5,
      expectedExceptionProbability: 0.01,
    });
    expect(result.likelihoodRatio).toBeCloseTo(1.956809788230622, 10);
    expect(result.pValue).toBeCloseTo(0.16185491719604272, 10);
  });

  it('n = 250, x = 0: LR = -2 x 250 ln 0.99 = 5.025168 (too few exceptions also rejects at 5%)', () => {
    const result = kupiecProportionOfFailures({
      observationCount: 250,
      exceptionCount: 0,
      expectedExceptionProbability: 0.01,
    });
    expect(result.likelihoodRatio).toBeCloseTo(5.025167926750726, 10);
    expect(result.pValue).toBeCloseTo(0.02498150305344971, 10);
  });

  it('n = 250, x = 10: LR = 12.955491, p-value 0.000319', () => {
    const result = kupiecProportionOfFailures({
      observationCount: 250,
      exceptionCount: 10,
      expectedExceptionProbability: 0.01,
    });
    expect(result.likelihoodRatio).toBeCloseTo(12.955491062356018, 9);
    expect(result.pValue).toBeCloseTo(0.0003189845082133835, 12);
  });

  it('an exception rate equal to p gives LR = 0 and p-value 1', () => {
    const result = kupiecProportionOfFailures({
      observationCount: 100,
      exceptionCount: 1,
      expectedExceptionProbability: 0.01,
    });
    expect(result.likelihoodRatio).toBe(0);
    expect(result.pValue).toBe(1);
  });
});

describe('Christoffersen independence and conditional coverage (hand-checked)', () => {
  // Twenty days, exceptions on days 2, 3, 7, 12, 13 (0-based):
  // 0 0 1 1 0 0 0 1 0 0 0 0 1 1 0 0 0 0 0 0
  // Transitions: n00 = 11, n01 = 3, n10 = 3, n11 = 2; π01 = 3/14, π11 = 2/5, π = 5/19.
  // LR_ind = -2[14 ln(14/19) + 5 ln(5/19)] + 2[11 ln(11/14) + 3 ln(3/14) + 3 ln(3/5) + 2 ln(2/5)]
  //        = -2[-4.275343 - 6.675005] + 2[-2.652783 - 4.621335 - 1.532477 - 1.832581]
  //        = 21.900697 - 21.278352 = 0.622345; p-value = erfc(√(0.622345 / 2)) = 0.430177.
  // With p = 0.05: LR_POF (n = 20, x = 5) = 9.002716; LR_cc = 9.625060, p-value = e^{-LR_cc / 2} = 0.008127.
  const indicators = [0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0].map((flag) => flag === 1);

  it('counts transitions and computes LR_ind', () => {
    const result = christoffersenIndependence(indicators);
    expect(result.transitionCounts).toEqual({
      noExceptionThenNoException: 11,
      noExceptionThenException: 3,
      exceptionThenNoException: 3,
      exceptionThenException: 2,
    });
    expect(result.likelihoodRatio).toBeCloseTo(0.6223446890094912, 10);
    expect(result.pValue).toBeCloseTo(0.4301773171257126, 10);
  });

  it('LR_cc = LR_POF + LR_ind with a χ²(2) p-value', () => {
    const result = christoffersenConditionalCoverage({
      exceptionIndicators: indicators,
      expectedExceptionProbability: 0.05,
    });
    expect(result.unconditionalCoverage.likelihoodRatio).toBeCloseTo(9.002715782414093, 10);
    expect(result.likelihoodRatio).toBeCloseTo(9.625060471423584, 10);
    expect(result.pValue).toBeCloseTo(0.008127269751791335, 12);
  });

  it('no exceptions at all: LR_ind = 0 (0 ln 0 = 0), p-value 1', () => {
    const result = christoffersenIndependence(new Array<boolean>(30).fill(false));
    expect(result.likelihoodRatio).toBe(0);
    expect(result.pValue).toBe(1);
  });
});

describe('backtestExceptions', () => {
  it('counts strict exceedances and the coverage ratio', () => {
    const result = backtestExceptions({ requirements: [10, 10, 10, 10], realisedLosses: [5, 10, 10.5, -3] });
    expect(result.exceptionIndicators).toEqual([false, false, true, false]);
    expect(result.exceptionCount).toBe(1);
    expect(result.coverageRatio).toBe(0.75);
  });

  it('rejects mismatched lengths, negative margins and non-finite losses', () => {
    expect(() => backtestExceptions({ requirements: [1], realisedLosses: [] })).toThrow(/differ in length/);
    expect(() => backtestExceptions({ requirements: [-1], realisedLosses: [0] })).toThrow(/>= 0/);
    expect(() => backtestExceptions({ requirements: [1], realisedLosses: [Number.NaN] })).toThrow(/finite/);
  });
});
