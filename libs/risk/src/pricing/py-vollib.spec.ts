import { black76AsGeneralised, black76Greeks, black76Value } from './black-76.js';
import type { Black76Inputs } from './black-76.js';
import { generalisedBlackScholesValue } from './generalised-black-scholes.js';
import { impliedVolatility } from './implied-volatility.js';
import type { GeneralisedBlackScholesInputs, OptionType } from './option-pricing-inputs.js';

/**
 * Golden cases OP-PYV-001..007 of /work/shared/reference/cases.json: doctests of py_vollib at commit
 * 4073fe72fd3ceb7e903808e88e2d4643bb112d5e, https://github.com/vollib/py_vollib
 * py_vollib scales vega and rho by 0.01 (per 1%) and theta by 1/365 (per calendar day); our greeks are raw,
 * so the scaling is applied here, in the test, exactly as each case's key names say.
 */
function expectWithin(actual: number, expected: number, tolerance: number): void {
  expect(Number.isFinite(actual)).toBe(true);
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance);
}

/**
 * Jaeckel's normalised Black value b(x, s) = Black(F, K, sigma, T) / sqrt(F K) with x = ln(F/K) and
 * s = sigma sqrt(T), undiscounted. Choosing F = e^{x/2}, K = e^{-x/2}, T = 1 and sigma = s gives sqrt(F K) = 1.
 */
function normalisedBlackInputs(x: number, s: number, optionType: OptionType): Black76Inputs {
  return {
    optionType,
    forwardPrice: Math.exp(x / 2),
    strikePrice: Math.exp(-x / 2),
    timeToExpiryYears: 1,
    volatility: s,
    riskFreeRate: 0,
  };
}

describe('py_vollib black_scholes (BSM, no dividends)', () => {
  const base: Omit<GeneralisedBlackScholesInputs, 'optionType'> = {
    underlyingPrice: 100,
    strikePrice: 90,
    timeToExpiryYears: 0.5,
    riskFreeRate: 0.01,
    volatility: 0.2,
    dividendYield: 0,
  };

  it('OP-PYV-001 black_scholes/__init__.py: call 12.111581435, put 1.66270456231 (tolerance 1e-6)', () => {
    expectWithin(generalisedBlackScholesValue({ ...base, optionType: 'call' }), 12.111581435, 1e-6);
    expectWithin(generalisedBlackScholesValue({ ...base, optionType: 'put' }), 1.66270456231, 1e-6);
  });

  it('OP-PYV-002 black_scholes/implied_volatility.py: ATM call 5.87602423383, implied vol back to 0.2 (1e-5)', () => {
    const call: GeneralisedBlackScholesInputs = { ...base, strikePrice: 100, optionType: 'call' };
    const price = generalisedBlackScholesValue(call);
    expectWithin(price, 5.87602423383, 1e-5);
    const { volatility: _volatility, ...withoutVolatility } = call;
    expectWithin(impliedVolatility({ ...withoutVolatility, optionPrice: 5.87602423383 }).volatility, 0.2, 1e-5);
  });
});

describe('py_vollib black (Black-76 on a futures price)', () => {
  const atTheMoney: Black76Inputs = {
    optionType: 'call',
    forwardPrice: 100,
    strikePrice: 100,
    timeToExpiryYears: 0.5,
    riskFreeRate: 0.02,
    volatility: 0.2,
  };

  it('OP-PYV-003 black/__init__.py: discounted 5.581106724604812, undiscounted 5.637197779701664, IV 0.2 (1e-9)', () => {
    expectWithin(black76Value(atTheMoney), 5.581106724604812, 1e-9);
    expectWithin(black76Value({ ...atTheMoney, riskFreeRate: 0 }), 5.637197779701664, 1e-9);
    const { volatility: _volatility, ...withoutVolatility } = black76AsGeneralised(atTheMoney);
    const implied = impliedVolatility({ ...withoutVolatility, optionPrice: 5.581106724604812 });
    expectWithin(implied.volatility, 0.2, 1e-9);
  });

  it('OP-PYV-004 black/implied_volatility.py: undiscounted 6.54635543387 at vol 0.232323232 and back (1e-5)', () => {
    const undiscounted: Black76Inputs = { ...atTheMoney, riskFreeRate: 0, volatility: 0.232323232 };
    expectWithin(black76Value(undiscounted), 6.54635543387, 1e-5);
    const { volatility: _volatility, ...withoutVolatility } = black76AsGeneralised(undiscounted);
    const implied = impliedVolatility({ ...withoutVolatility, optionPrice: 6.54635543387 });
    expectWithin(implied.volatility, 0.232323232, 1e-5);
  });

  it('OP-PYV-005 normalised_black: F=100, K=95, T=0.5, vol=0.3 -> call 0.11259558142181655, put 0.061296663817558904 (1e-12)', () => {
    const call: Black76Inputs = {
      optionType: 'call',
      forwardPrice: 100,
      strikePrice: 95,
      timeToExpiryYears: 0.5,
      volatility: 0.3,
      riskFreeRate: 0,
    };
    const normaliser = Math.sqrt(100 * 95);
    expectWithin(black76Value(call) / normaliser, 0.11259558142181655, 1e-12);
    expectWithin(black76Value({ ...call, optionType: 'put' }) / normaliser, 0.061296663817558904, 1e-12);
    // The case's note: put-call time-value invariance, call - 5 / sqrt(9500) = put.
    expectWithin(0.11259558142181655 - 5 / normaliser, 0.061296663817558904, 1e-12);
  });

  it.each([
    [0, 0.2, 'call', 0.0796556745541],
    [0.1, 0.23232323888, 'put', 0.0509710222785],
  ] as const)('OP-PYV-006 normalised Black b(x=%p, s=%p, %s) = %p and implied s back (1e-5)', (x, s, type, beta) => {
    const inputs = normalisedBlackInputs(x, s, type);
    expectWithin(black76Value(inputs), beta, 1e-5);
    const { volatility: _volatility, ...withoutVolatility } = black76AsGeneralised(inputs);
    expectWithin(impliedVolatility({ ...withoutVolatility, optionPrice: beta }).volatility, s, 1e-5);
  });

  it('OP-PYV-007 black/greeks/analytical.py: F=49, K=50, r=5%, T=0.3846, vol=20% (1e-6)', () => {
    const call: Black76Inputs = {
      optionType: 'call',
      forwardPrice: 49,
      strikePrice: 50,
      riskFreeRate: 0.05,
      timeToExpiryYears: 0.3846,
      volatility: 0.2,
    };
    const callGreeks = black76Greeks(call);
    const putGreeks = black76Greeks({ ...call, optionType: 'put' });
    expectWithin(callGreeks.delta, 0.4510701748220183, 1e-6);
    expectWithin(callGreeks.gamma, 0.0640646705882, 1e-6);
    expectWithin(callGreeks.vega * 0.01, 0.118317785624, 1e-6);
    expectWithin(callGreeks.theta / 365, -0.00816236877462, 1e-6);
    expectWithin(putGreeks.theta / 365, -0.00802799155312, 1e-6);
    // Black-76 rho = -T x price: the futures price is held fixed, only the discount factor moves.
    expectWithin(callGreeks.rho * 0.01, -0.007470538005958226, 1e-6);
    expectWithin(putGreeks.rho * 0.01, -0.011243286001308292, 1e-6);
  });
});
