import { generalisedBlackScholesValue } from './generalised-black-scholes.js';
import { generalisedBlackScholesGreeks } from './generalised-black-scholes-greeks.js';
import type { OptionGreeks } from './generalised-black-scholes-greeks.js';
import type { GeneralisedBlackScholesInputs, OptionType } from './option-pricing-inputs.js';

/**
 * Inputs of Black (1976) for an option on a futures or forward price. Crypto options (Deribit style) are
 * priced this way on the forward of their expiry, which removes any need for a funding or dividend rate.
 */
export interface Black76Inputs {
  readonly optionType: OptionType;
  /** Futures (or forward) price F for the option's expiry. */
  readonly forwardPrice: number;
  readonly strikePrice: number;
  readonly timeToExpiryYears: number;
  readonly volatility: number;
  /** Discount rate r; 0 gives the undiscounted (forward) value. */
  readonly riskFreeRate: number;
}

/** Black-76 greeks. Same units as OptionGreeks; delta and gamma are with respect to the forward price. */
export interface Black76Greeks {
  /** dV/dF = e^{-rT} N(d1) for a call (discounted), per 1.00 move of the forward price. */
  readonly delta: number;
  readonly gamma: number;
  /** dV/dsigma per 1.00 of volatility. */
  readonly vega: number;
  /** dV/dt per year with F fixed. */
  readonly theta: number;
  /** dV/dr per 1.00 of rate with the forward price held fixed: -T x value (only the discounting moves). */
  readonly rho: number;
}

/**
 * Black-76 is the generalised model with S = F and b = 0, i.e. q = r: the futures price needs no
 * financing, so it grows at zero carry.
 */
export function black76AsGeneralised(inputs: Black76Inputs): GeneralisedBlackScholesInputs {
  return {
    optionType: inputs.optionType,
    underlyingPrice: inputs.forwardPrice,
    strikePrice: inputs.strikePrice,
    timeToExpiryYears: inputs.timeToExpiryYears,
    volatility: inputs.volatility,
    riskFreeRate: inputs.riskFreeRate,
    dividendYield: inputs.riskFreeRate,
  };
}

/** call = e^{-rT} (F N(d1) - K N(d2)), put = e^{-rT} (K N(-d2) - F N(-d1)). */
export function black76Value(inputs: Black76Inputs): number {
  return generalisedBlackScholesValue(black76AsGeneralised(inputs));
}

/**
 * Greeks of Black-76. Delta, gamma, vega and theta are the generalised greeks at b = 0. Rho differs:
 * with F fixed, r enters only through the discount factor e^{-rT}, so rho = -T V. In generalised terms
 * this is dV/dr with q = r moving together: rho + dividendRho.
 */
export function black76Greeks(inputs: Black76Inputs): Black76Greeks {
  const generalisedInputs = black76AsGeneralised(inputs);
  const greeks: OptionGreeks = generalisedBlackScholesGreeks(generalisedInputs);
  const value = generalisedBlackScholesValue(generalisedInputs);
  return {
    delta: greeks.delta,
    gamma: greeks.gamma,
    vega: greeks.vega,
    theta: greeks.theta,
    rho: -inputs.timeToExpiryYears * value,
  };
}
