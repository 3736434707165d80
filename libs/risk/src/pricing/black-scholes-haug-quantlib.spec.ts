import { generalisedBlackScholesValue } from './generalised-black-scholes.js';
import { generalisedBlackScholesGreeks } from './generalised-black-scholes-greeks.js';
import type { GeneralisedBlackScholesInputs, OptionType } from './option-pricing-inputs.js';

/**
 * Golden cases OP-QL-001..043 and OP-QL-G01..G11 of /work/shared/reference/cases.json.
 * Source: QuantLib test-suite/europeanoption.cpp (EuropeanOptionTest::testValues, testGreekValues),
 * https://github.com/lballabio/QuantLib/blob/02f7b8ce653bd7b6ca29390d246353d3af9c4e86/test-suite/europeanoption.cpp
 * whose values are quoted from E. G. Haug, "Option Pricing Formulas", McGraw-Hill 1998, pp. 2-8, 11-16, 24, 27.
 * Conventions (from the cases' notes): q is a continuous yield and b = r - q; q = r is Black-76 on a futures
 * price; the 1.56/1.60 case is Garman-Kohlhagen with a foreign rate of 8%. Greeks are raw derivatives
 * (vega per 1.00 vol, rho per 1.00 rate, theta per year) except the per-day theta of G09 (theta / 365).
 * Every case states an absolute tolerance of 1e-4.
 */
const TOLERANCE = 1e-4;

function expectWithin(actual: number, expected: number, tolerance: number): void {
  expect(Number.isFinite(actual)).toBe(true);
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance);
}

function inputs(
  optionType: OptionType,
  underlyingPrice: number,
  strikePrice: number,
  dividendYield: number,
  riskFreeRate: number,
  timeToExpiryYears: number,
  volatility: number,
): GeneralisedBlackScholesInputs {
  return { optionType, underlyingPrice, strikePrice, dividendYield, riskFreeRate, timeToExpiryYears, volatility };
}

// [case id, type, S (or F), K, q, r, T, vol, expected value]
const VALUE_CASES: readonly (readonly [string, OptionType, number, number, number, number, number, number, number])[] =
  [
    ['OP-QL-001', 'call', 60, 65, 0, 0.08, 0.25, 0.3, 2.1334], // call value (BSM call)
    ['OP-QL-002', 'put', 100, 95, 0.05, 0.1, 0.5, 0.2, 2.4648], // put value (Merton, dividend yield)
    ['OP-QL-003', 'put', 19, 19, 0.1, 0.1, 0.75, 0.28, 1.7011], // put value (Black-76 futures put; q=r => b=0)
    ['OP-QL-004', 'call', 19, 19, 0.1, 0.1, 0.75, 0.28, 1.7011], // call value (Black-76 futures call; q=r => b=0)
    ['OP-QL-005', 'call', 1.56, 1.6, 0.08, 0.06, 0.5, 0.12, 0.0291], // call value (Garman-Kohlhagen FX call, rf=8%)
    ['OP-QL-006', 'put', 75, 70, 0.05, 0.1, 0.5, 0.35, 4.087], // put value (generalized BSM put)
    ['OP-QL-007', 'call', 90, 100, 0.1, 0.1, 0.1, 0.15, 0.0205], // call value (futures options: q=r=10%)
    ['OP-QL-008', 'call', 100, 100, 0.1, 0.1, 0.1, 0.15, 1.8734], // call value (futures options: q=r=10%)
    ['OP-QL-009', 'call', 110, 100, 0.1, 0.1, 0.1, 0.15, 9.9413], // call value (futures options: q=r=10%)
    ['OP-QL-010', 'call', 90, 100, 0.1, 0.1, 0.1, 0.25, 0.315], // call value (futures options: q=r=10%)
    ['OP-QL-011', 'call', 100, 100, 0.1, 0.1, 0.1, 0.25, 3.1217], // call value (futures options: q=r=10%)
    ['OP-QL-012', 'call', 110, 100, 0.1, 0.1, 0.1, 0.25, 10.3556], // call value (futures options: q=r=10%)
    ['OP-QL-013', 'call', 90, 100, 0.1, 0.1, 0.1, 0.35, 0.9474], // call value (futures options: q=r=10%)
    ['OP-QL-014', 'call', 100, 100, 0.1, 0.1, 0.1, 0.35, 4.3693], // call value (futures options: q=r=10%)
    ['OP-QL-015', 'call', 110, 100, 0.1, 0.1, 0.1, 0.35, 11.1381], // call value (futures options: q=r=10%)
    ['OP-QL-016', 'call', 90, 100, 0.1, 0.1, 0.5, 0.15, 0.8069], // call value (futures options: q=r=10%)
    ['OP-QL-017', 'call', 100, 100, 0.1, 0.1, 0.5, 0.15, 4.0232], // call value (futures options: q=r=10%)
    ['OP-QL-018', 'call', 110, 100, 0.1, 0.1, 0.5, 0.15, 10.5769], // call value (futures options: q=r=10%)
    ['OP-QL-019', 'call', 90, 100, 0.1, 0.1, 0.5, 0.25, 2.7026], // call value (futures options: q=r=10%)
    ['OP-QL-020', 'call', 100, 100, 0.1, 0.1, 0.5, 0.25, 6.6997], // call value (futures options: q=r=10%)
    ['OP-QL-021', 'call', 110, 100, 0.1, 0.1, 0.5, 0.25, 12.7857], // call value (futures options: q=r=10%)
    ['OP-QL-022', 'call', 90, 100, 0.1, 0.1, 0.5, 0.35, 4.9329], // call value (futures options: q=r=10%)
    ['OP-QL-023', 'call', 100, 100, 0.1, 0.1, 0.5, 0.35, 9.3679], // call value (futures options: q=r=10%)
    ['OP-QL-024', 'call', 110, 100, 0.1, 0.1, 0.5, 0.35, 15.3086], // call value (futures options: q=r=10%)
    ['OP-QL-025', 'put', 90, 100, 0.1, 0.1, 0.1, 0.15, 9.921], // put value (futures options: q=r=10%)
    ['OP-QL-026', 'put', 100, 100, 0.1, 0.1, 0.1, 0.15, 1.8734], // put value (futures options: q=r=10%)
    ['OP-QL-027', 'put', 110, 100, 0.1, 0.1, 0.1, 0.15, 0.0408], // put value (futures options: q=r=10%)
    ['OP-QL-028', 'put', 90, 100, 0.1, 0.1, 0.1, 0.25, 10.2155], // put value (futures options: q=r=10%)
    ['OP-QL-029', 'put', 100, 100, 0.1, 0.1, 0.1, 0.25, 3.1217], // put value (futures options: q=r=10%)
    ['OP-QL-030', 'put', 110, 100, 0.1, 0.1, 0.1, 0.25, 0.4551], // put value (futures options: q=r=10%)
    ['OP-QL-031', 'put', 90, 100, 0.1, 0.1, 0.1, 0.35, 10.8479], // put value (futures options: q=r=10%)
    ['OP-QL-032', 'put', 100, 100, 0.1, 0.1, 0.1, 0.35, 4.3693], // put value (futures options: q=r=10%)
    ['OP-QL-033', 'put', 110, 100, 0.1, 0.1, 0.1, 0.35, 1.2376], // put value (futures options: q=r=10%)
    ['OP-QL-034', 'put', 90, 100, 0.1, 0.1, 0.5, 0.15, 10.3192], // put value (futures options: q=r=10%)
    ['OP-QL-035', 'put', 100, 100, 0.1, 0.1, 0.5, 0.15, 4.0232], // put value (futures options: q=r=10%)
    ['OP-QL-036', 'put', 110, 100, 0.1, 0.1, 0.5, 0.15, 1.0646], // put value (futures options: q=r=10%)
    ['OP-QL-037', 'put', 90, 100, 0.1, 0.1, 0.5, 0.25, 12.2149], // put value (futures options: q=r=10%)
    ['OP-QL-038', 'put', 100, 100, 0.1, 0.1, 0.5, 0.25, 6.6997], // put value (futures options: q=r=10%)
    ['OP-QL-039', 'put', 110, 100, 0.1, 0.1, 0.5, 0.25, 3.2734], // put value (futures options: q=r=10%)
    ['OP-QL-040', 'put', 90, 100, 0.1, 0.1, 0.5, 0.35, 14.4452], // put value (futures options: q=r=10%)
    ['OP-QL-041', 'put', 100, 100, 0.1, 0.1, 0.5, 0.35, 9.3679], // put value (futures options: q=r=10%)
    ['OP-QL-042', 'put', 110, 100, 0.1, 0.1, 0.5, 0.35, 5.7963], // put value (futures options: q=r=10%)
    ['OP-QL-043', 'call', 42, 40, 0.08, 0.04, 0.75, 0.35, 5.0975], // call value (b=-4%)
  ];

describe('generalised Black-Scholes values: QuantLib europeanoption.cpp quoting Haug (1998)', () => {
  it.each(VALUE_CASES)(
    '%s %s S=%p K=%p q=%p r=%p T=%p vol=%p -> %p',
    (_id, type, spot, strike, q, r, time, vol, expected) => {
      expectWithin(generalisedBlackScholesValue(inputs(type, spot, strike, q, r, time, vol)), expected, TOLERANCE);
    },
  );
});

describe('generalised Black-Scholes greeks: QuantLib testGreekValues quoting Haug (1998) pp. 11-16', () => {
  it('OP-QL-G01 call delta (b = 0)', () => {
    expectWithin(generalisedBlackScholesGreeks(inputs('call', 105, 100, 0.1, 0.1, 0.5, 0.36)).delta, 0.5946, TOLERANCE);
  });

  it('OP-QL-G02 put delta (b = 0)', () => {
    expectWithin(generalisedBlackScholesGreeks(inputs('put', 105, 100, 0.1, 0.1, 0.5, 0.36)).delta, -0.3566, TOLERANCE);
  });

  it('OP-QL-G03 put elasticity = delta x S / value', () => {
    const put = inputs('put', 105, 100, 0.1, 0.1, 0.5, 0.36);
    const elasticity = (generalisedBlackScholesGreeks(put).delta * 105) / generalisedBlackScholesValue(put);
    expectWithin(elasticity, -4.8775, TOLERANCE);
  });

  it.each([
    ['OP-QL-G04', 'call'],
    ['OP-QL-G05', 'put'],
  ] as const)('%s %s gamma', (_id, type) => {
    expectWithin(generalisedBlackScholesGreeks(inputs(type, 55, 60, 0, 0.1, 0.75, 0.3)).gamma, 0.0278, TOLERANCE);
  });

  it.each([
    ['OP-QL-G06', 'call'],
    ['OP-QL-G07', 'put'],
  ] as const)('%s %s vega per 1.00 of volatility', (_id, type) => {
    expectWithin(generalisedBlackScholesGreeks(inputs(type, 55, 60, 0, 0.1, 0.75, 0.3)).vega, 18.9358, TOLERANCE);
  });

  it('OP-QL-G08 put theta per year', () => {
    const put = inputs('put', 430, 405, 0.05, 0.07, 1 / 12, 0.2);
    expectWithin(generalisedBlackScholesGreeks(put).theta, -31.1924, TOLERANCE);
  });

  it('OP-QL-G09 put theta per calendar day = theta / 365', () => {
    const put = inputs('put', 430, 405, 0.05, 0.07, 1 / 12, 0.2);
    expectWithin(generalisedBlackScholesGreeks(put).theta / 365, -0.0855, TOLERANCE);
  });

  it('OP-QL-G10 call rho per 1.00 of rate', () => {
    expectWithin(generalisedBlackScholesGreeks(inputs('call', 72, 75, 0, 0.09, 1, 0.19)).rho, 38.7325, TOLERANCE);
  });

  it('OP-QL-G11 put dividend rho dP/dq per 1.00 of yield', () => {
    const put = inputs('put', 500, 490, 0.05, 0.08, 0.25, 0.15);
    expectWithin(generalisedBlackScholesGreeks(put).dividendRho, 42.2254, TOLERANCE);
  });
});
