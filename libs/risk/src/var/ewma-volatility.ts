import { assertFiniteSeries, assertPositiveFinite } from './var-preconditions.js';

/**
 * Exponentially weighted moving average volatility (RiskMetrics, J.P. Morgan 1996; Hull, "Volatility",
 * EWMA model):
 *   σ²_{t+1} = λ σ²_t + (1 - λ) r²_t
 * Returns are taken to have mean zero (Hull's simplification for daily returns). `volatilities[t]` is σ_t,
 * the estimate for day t made from returns before it (so it can rescale r_t without look-ahead);
 * `currentVolatility` is σ_{n}, the estimate after the last return: the volatility of tomorrow.
 * RiskMetrics uses λ = 0.94 for daily data. The seed σ²_0 is a parameter, not a hidden default: a common
 * choice is the sample variance of a warm-up window that is then not used as a scenario.
 */
export interface EwmaVolatilityInput {
  readonly returns: readonly number[];
  /** λ in (0, 1): the weight of yesterday's variance. */
  readonly decay: number;
  /** σ²_0, the variance before the first return. */
  readonly seedVariance: number;
}

export interface EwmaVolatility {
  readonly volatilities: number[];
  readonly currentVolatility: number;
}

export function ewmaVolatility(input: EwmaVolatilityInput): EwmaVolatility {
  const { returns, decay, seedVariance } = input;
  assertFiniteSeries('returns', returns, 1);
  if (!(decay > 0 && decay < 1)) throw new RangeError(`decay must be in (0, 1), got ${decay}`);
  assertPositiveFinite('seedVariance', seedVariance);
  const volatilities: number[] = [];
  let variance = seedVariance;
  for (const periodReturn of returns) {
    volatilities.push(Math.sqrt(variance));
    variance = decay * variance + (1 - decay) * periodReturn * periodReturn;
  }
  return { volatilities, currentVolatility: Math.sqrt(variance) };
}
