import { normalCdf } from './normal-distribution.js';
import { OptionPricingError } from './option-pricing-error.js';
import { assertValidOptionInputs, costOfCarryRate } from './option-pricing-inputs.js';
import type { GeneralisedBlackScholesInputs } from './option-pricing-inputs.js';

/**
 * The quantities shared by the value and every greek of the generalised Black-Scholes model
 * (Haug, "The Complete Guide to Option Pricing Formulas", 2nd ed., section 1.1.6):
 *   d1 = (ln(S/K) + (b + sigma^2/2) T) / (sigma sqrt(T)),   d2 = d1 - sigma sqrt(T).
 */
export interface BlackScholesTerms {
  readonly d1: number;
  readonly d2: number;
  readonly sqrtTimeToExpiry: number;
  /** e^{(b-r)T} = e^{-qT}: the present value of one unit of underlying delivered at expiry, per unit today. */
  readonly carryDiscountFactor: number;
  /** e^{-rT}: the present value of one unit of currency paid at expiry. */
  readonly rateDiscountFactor: number;
}

/** Computes d1, d2 and the discount factors. Requires validated inputs with T > 0. */
export function blackScholesTerms(inputs: GeneralisedBlackScholesInputs): BlackScholesTerms {
  const { underlyingPrice, strikePrice, timeToExpiryYears, volatility, riskFreeRate } = inputs;
  if (!(timeToExpiryYears > 0)) {
    throw new OptionPricingError('EXPIRED_OPTION_HAS_NO_GREEKS', `d1 and d2 need timeToExpiryYears > 0`);
  }
  const carryRate = costOfCarryRate(inputs);
  const sqrtTimeToExpiry = Math.sqrt(timeToExpiryYears);
  const totalVolatility = volatility * sqrtTimeToExpiry;
  const d1 =
    (Math.log(underlyingPrice / strikePrice) + (carryRate + 0.5 * volatility * volatility) * timeToExpiryYears) /
    totalVolatility;
  return {
    d1,
    d2: d1 - totalVolatility,
    sqrtTimeToExpiry,
    carryDiscountFactor: Math.exp((carryRate - riskFreeRate) * timeToExpiryYears),
    rateDiscountFactor: Math.exp(-riskFreeRate * timeToExpiryYears),
  };
}

/** Payoff at expiry: max(S - K, 0) for a call, max(K - S, 0) for a put. */
export function intrinsicValue(
  inputs: Pick<GeneralisedBlackScholesInputs, 'optionType' | 'underlyingPrice' | 'strikePrice'>,
): number {
  const { optionType, underlyingPrice, strikePrice } = inputs;
  return optionType === 'call'
    ? Math.max(underlyingPrice - strikePrice, 0)
    : Math.max(strikePrice - underlyingPrice, 0);
}

/**
 * Value of a European option under the generalised Black-Scholes model, in quote currency per unit of
 * underlying (Haug 1.1.6):
 *   call = S e^{(b-r)T} N(d1) - K e^{-rT} N(d2)
 *   put  = K e^{-rT} N(-d2) - S e^{(b-r)T} N(-d1)
 * At T = 0 the value is the intrinsic value (the option is exercised or lapses now).
 */
export function generalisedBlackScholesValue(inputs: GeneralisedBlackScholesInputs): number {
  assertValidOptionInputs(inputs);
  if (inputs.timeToExpiryYears === 0) return intrinsicValue(inputs);
  const { d1, d2, carryDiscountFactor, rateDiscountFactor } = blackScholesTerms(inputs);
  const forwardLeg = inputs.underlyingPrice * carryDiscountFactor;
  const strikeLeg = inputs.strikePrice * rateDiscountFactor;
  const value =
    inputs.optionType === 'call'
      ? forwardLeg * normalCdf(d1) - strikeLeg * normalCdf(d2)
      : strikeLeg * normalCdf(-d2) - forwardLeg * normalCdf(-d1);
  // Far out of the money both legs are nearly equal; rounding may leave a value of order -1e-17.
  // An option is worth at least zero, so the clamp only removes rounding noise.
  return Math.max(value, 0);
}
