import fc from 'fast-check';
import { black76Greeks } from './black-76.js';
import type { Black76Inputs } from './black-76.js';
import { generalisedBlackScholesValue } from './generalised-black-scholes.js';
import { generalisedBlackScholesGreeks } from './generalised-black-scholes-greeks.js';
import type { OptionGreeks } from './generalised-black-scholes-greeks.js';
import { inverseOptionDeltaInCoin, inverseOptionValue } from './inverse-option.js';
import type { GeneralisedBlackScholesInputs } from './option-pricing-inputs.js';

/** Properties every correct generalised Black-Scholes implementation has, checked on random inputs. */
const arbitraryInputs: fc.Arbitrary<GeneralisedBlackScholesInputs> = fc.record({
  optionType: fc.constantFrom('call' as const, 'put' as const),
  underlyingPrice: fc.double({ min: 50, max: 200, noNaN: true }),
  strikePrice: fc.constant(100),
  timeToExpiryYears: fc.double({ min: 0.02, max: 3, noNaN: true }),
  volatility: fc.double({ min: 0.05, max: 1.5, noNaN: true }),
  riskFreeRate: fc.double({ min: -0.02, max: 0.1, noNaN: true }),
  dividendYield: fc.double({ min: -0.02, max: 0.1, noNaN: true }),
});

const value = generalisedBlackScholesValue;

/** Central finite difference of the value along one input. */
function centralDifference(
  inputs: GeneralisedBlackScholesInputs,
  field: 'underlyingPrice' | 'volatility' | 'timeToExpiryYears' | 'riskFreeRate' | 'dividendYield',
  step: number,
): number {
  const up = value({ ...inputs, [field]: inputs[field] + step });
  const down = value({ ...inputs, [field]: inputs[field] - step });
  return (up - down) / (2 * step);
}

function expectClose(analytic: number, numeric: number, relativeTolerance: number, absoluteTolerance: number): void {
  expect(Math.abs(analytic - numeric)).toBeLessThanOrEqual(absoluteTolerance + relativeTolerance * Math.abs(analytic));
}

describe('generalised Black-Scholes properties', () => {
  it('satisfies put-call parity C - P = S e^{-qT} - K e^{-rT}', () => {
    fc.assert(
      fc.property(arbitraryInputs, (inputs) => {
        const call = value({ ...inputs, optionType: 'call' });
        const put = value({ ...inputs, optionType: 'put' });
        const { underlyingPrice: spot, strikePrice: strike, timeToExpiryYears: time } = inputs;
        const forwardMinusStrike =
          spot * Math.exp(-inputs.dividendYield * time) - strike * Math.exp(-inputs.riskFreeRate * time);
        expect(Math.abs(call - put - forwardMinusStrike)).toBeLessThanOrEqual(1e-11 * Math.max(spot, strike));
      }),
    );
  });

  it('stays within the no-arbitrage bounds', () => {
    fc.assert(
      fc.property(arbitraryInputs, (inputs) => {
        const time = inputs.timeToExpiryYears;
        const discountedForward = inputs.underlyingPrice * Math.exp(-inputs.dividendYield * time);
        const discountedStrike = inputs.strikePrice * Math.exp(-inputs.riskFreeRate * time);
        const optionValue = value(inputs);
        const [lower, upper] =
          inputs.optionType === 'call'
            ? [Math.max(discountedForward - discountedStrike, 0), discountedForward]
            : [Math.max(discountedStrike - discountedForward, 0), discountedStrike];
        expect(optionValue).toBeGreaterThanOrEqual(lower - 1e-12 * upper);
        expect(optionValue).toBeLessThanOrEqual(upper);
      }),
    );
  });

  it('agrees with central finite differences for delta, gamma, vega, theta, rho and dividend rho', () => {
    fc.assert(
      fc.property(arbitraryInputs, (inputs) => {
        const greeks: OptionGreeks = generalisedBlackScholesGreeks(inputs);
        // Steps scale with the width of the price distribution, S sigma sqrt(T): a fixed step is too coarse
        // for a low-volatility, short-dated option (truncation) or too fine for gamma (rounding).
        const spread = inputs.underlyingPrice * inputs.volatility * Math.sqrt(inputs.timeToExpiryYears);
        const spotStep = 1e-4 * spread;
        const gammaStep = 1e-3 * spread;
        const secondDifference =
          (value({ ...inputs, underlyingPrice: inputs.underlyingPrice + gammaStep }) -
            2 * value(inputs) +
            value({ ...inputs, underlyingPrice: inputs.underlyingPrice - gammaStep })) /
          (gammaStep * gammaStep);
        const timeStep = 1e-5 * inputs.timeToExpiryYears;
        expectClose(greeks.delta, centralDifference(inputs, 'underlyingPrice', spotStep), 1e-6, 1e-6);
        expectClose(greeks.gamma, secondDifference, 1e-4, 1e-6);
        expectClose(greeks.vega, centralDifference(inputs, 'volatility', 1e-5), 1e-6, 1e-6);
        // theta is dV/dt = -dV/dT.
        expectClose(greeks.theta, -centralDifference(inputs, 'timeToExpiryYears', timeStep), 1e-5, 1e-5);
        expectClose(greeks.rho, centralDifference(inputs, 'riskFreeRate', 1e-6), 1e-6, 1e-6);
        expectClose(greeks.dividendRho, centralDifference(inputs, 'dividendYield', 1e-6), 1e-6, 1e-6);
      }),
    );
  });

  it('gives the intrinsic value at expiry', () => {
    fc.assert(
      fc.property(arbitraryInputs, (inputs) => {
        const atExpiry = { ...inputs, timeToExpiryYears: 0 };
        const payoff =
          inputs.optionType === 'call'
            ? Math.max(inputs.underlyingPrice - inputs.strikePrice, 0)
            : Math.max(inputs.strikePrice - inputs.underlyingPrice, 0);
        expect(value(atExpiry)).toBe(payoff);
      }),
    );
  });
});

describe('Black-76 rho', () => {
  it('is -T x value, the generalised rho plus dividend rho with q = r moving together', () => {
    fc.assert(
      fc.property(arbitraryInputs, (inputs) => {
        const black76: Black76Inputs = {
          optionType: inputs.optionType,
          forwardPrice: inputs.underlyingPrice,
          strikePrice: inputs.strikePrice,
          timeToExpiryYears: inputs.timeToExpiryYears,
          volatility: inputs.volatility,
          riskFreeRate: inputs.riskFreeRate,
        };
        const generalised = generalisedBlackScholesGreeks({ ...inputs, dividendYield: inputs.riskFreeRate });
        expectClose(black76Greeks(black76).rho, generalised.rho + generalised.dividendRho, 1e-9, 1e-12);
      }),
    );
  });
});

describe('inverse (coin-settled) options', () => {
  it('value in coin is the USD value divided by the underlying price', () => {
    fc.assert(
      fc.property(arbitraryInputs, (inputs) => {
        expect(inverseOptionValue(inputs)).toBe(value(inputs) / inputs.underlyingPrice);
      }),
    );
  });

  it('delta in coin is S x d(V/S)/dS, checked by central difference', () => {
    fc.assert(
      fc.property(arbitraryInputs, (inputs) => {
        const step = 1e-4 * inputs.underlyingPrice * inputs.volatility * Math.sqrt(inputs.timeToExpiryYears);
        const up = inverseOptionValue({ ...inputs, underlyingPrice: inputs.underlyingPrice + step });
        const down = inverseOptionValue({ ...inputs, underlyingPrice: inputs.underlyingPrice - step });
        const numeric = (inputs.underlyingPrice * (up - down)) / (2 * step);
        expectClose(inverseOptionDeltaInCoin(inputs), numeric, 1e-6, 1e-6);
      }),
    );
  });
});
