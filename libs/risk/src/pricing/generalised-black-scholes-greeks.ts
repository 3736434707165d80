import { blackScholesTerms } from './generalised-black-scholes.js';
import { normalCdf, normalPdf } from './normal-distribution.js';
import { OptionPricingError } from './option-pricing-error.js';
import { assertValidOptionInputs, costOfCarryRate } from './option-pricing-inputs.js';
import type { GeneralisedBlackScholesInputs } from './option-pricing-inputs.js';

/**
 * Sensitivities of one option (per unit of underlying) as raw partial derivatives, the QuantLib and Haug
 * convention. Scale them at the edge if a screen wants "per 1%" or "per day"; never inside the maths.
 */
export interface OptionGreeks {
  /** dV/dS: value change per 1.00 move of the underlying price (quote currency per quote currency). */
  readonly delta: number;
  /** d2V/dS2: change of delta per 1.00 move of the underlying price. */
  readonly gamma: number;
  /** dV/dsigma: per 1.00 of volatility (from 0.20 to 1.20). Divide by 100 for "per vol point". */
  readonly vega: number;
  /**
   * dV/dt per year of calendar time, i.e. -dV/dT: the value change as time passes with everything else
   * fixed. Divide by 365 for the per-calendar-day theta quoted by Hull and py_vollib.
   */
  readonly theta: number;
  /** dV/dr per 1.00 of the risk-free rate, the dividend yield q held fixed (so b = r - q moves with r). */
  readonly rho: number;
  /** dV/dq per 1.00 of the dividend (or foreign) yield, r held fixed. Equal to -dV/db. */
  readonly dividendRho: number;
}

/**
 * Closed-form greeks of the generalised Black-Scholes model (Haug, "The Complete Guide to Option Pricing
 * Formulas", 2nd ed., sections 2.1-2.4, with q = r - b). Requires T > 0: at expiry the value is a kinked
 * payoff and gamma is not a number.
 */
export function generalisedBlackScholesGreeks(inputs: GeneralisedBlackScholesInputs): OptionGreeks {
  assertValidOptionInputs(inputs);
  if (inputs.timeToExpiryYears === 0) {
    throw new OptionPricingError('EXPIRED_OPTION_HAS_NO_GREEKS', 'greeks need timeToExpiryYears > 0');
  }
  const { underlyingPrice, strikePrice, timeToExpiryYears, volatility, riskFreeRate } = inputs;
  const { d1, d2, sqrtTimeToExpiry, carryDiscountFactor, rateDiscountFactor } = blackScholesTerms(inputs);
  const carryRate = costOfCarryRate(inputs);
  const forwardLeg = underlyingPrice * carryDiscountFactor;
  const strikeLeg = strikePrice * rateDiscountFactor;
  const density = normalPdf(d1);

  // Terms common to calls and puts.
  const gamma = (carryDiscountFactor * density) / (underlyingPrice * volatility * sqrtTimeToExpiry);
  const vega = forwardLeg * density * sqrtTimeToExpiry;
  const timeDecayOfVolatility = -(forwardLeg * density * volatility) / (2 * sqrtTimeToExpiry);

  // The sign s = +1 for a call and -1 for a put turns every formula into one line:
  //   delta = s e^{(b-r)T} N(s d1)
  //   theta = -S e^{(b-r)T} phi(d1) sigma / (2 sqrt T) - s (b - r) S e^{(b-r)T} N(s d1) - s r K e^{-rT} N(s d2)
  //   rho   = s T K e^{-rT} N(s d2)
  //   dividendRho = -s T S e^{(b-r)T} N(s d1)
  const sign = inputs.optionType === 'call' ? 1 : -1;
  const forwardProbability = normalCdf(sign * d1);
  const exerciseProbability = normalCdf(sign * d2);
  return {
    delta: sign * carryDiscountFactor * forwardProbability,
    gamma,
    vega,
    theta:
      timeDecayOfVolatility -
      sign * (carryRate - riskFreeRate) * forwardLeg * forwardProbability -
      sign * riskFreeRate * strikeLeg * exerciseProbability,
    rho: sign * timeToExpiryYears * strikeLeg * exerciseProbability,
    dividendRho: -sign * timeToExpiryYears * forwardLeg * forwardProbability,
  };
}
