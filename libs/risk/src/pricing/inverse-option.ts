import { generalisedBlackScholesValue } from './generalised-black-scholes.js';
import { generalisedBlackScholesGreeks } from './generalised-black-scholes-greeks.js';
import type { GeneralisedBlackScholesInputs } from './option-pricing-inputs.js';

/**
 * Inverse (coin-settled) options, Deribit convention: the strike is in USD but premium, value and payoff
 * are paid in the underlying coin. The payoff at expiry, max(S_T - K, 0) USD for a call, is paid as
 * max(S_T - K, 0) / S_T coin. Valued in the usual USD measure and converted at today's price:
 *   value in coin = (USD value) / S.
 * For Deribit-style pricing pass the forward price as underlyingPrice with dividendYield = riskFreeRate
 * (see black76AsGeneralised); with r = 0 this is Deribit's own mark-price formula.
 */
export function inverseOptionValue(inputs: GeneralisedBlackScholesInputs): number {
  return generalisedBlackScholesValue(inputs) / inputs.underlyingPrice;
}

/**
 * Delta of an inverse option in coin terms: the coin-equivalent exposure to the underlying,
 *   S d(V/S)/dS = delta - V/S,
 * the "USD delta minus the premium in coin" that Deribit displays. A long call paid for in coin is
 * shorter the underlying than its USD delta says, because its own value shrinks in coin as S rises.
 */
export function inverseOptionDeltaInCoin(inputs: GeneralisedBlackScholesInputs): number {
  const { delta } = generalisedBlackScholesGreeks(inputs);
  return delta - inverseOptionValue(inputs);
}
