import { ewmaVolatility, type EwmaVolatilityInput } from './ewma-volatility.js';
import { assertFiniteSeries, assertPositiveFinite } from './var-preconditions.js';

/**
 * Filtered (volatility-adjusted) historical simulation: each historical return is rescaled from the
 * volatility of its own day to today's,
 *   r̃_t = r_t x σ_now / σ_t
 * so calm-period returns are scaled up when markets are volatile and vice versa (Hull and White,
 * "Incorporating volatility updating into the historical simulation method for value-at-risk", Journal
 * of Risk 1998; Barone-Adesi, Giannopoulos and Vosper 1999).
 */
export function filteredHistoricalReturns(input: {
  readonly returns: readonly number[];
  /** σ_t for each return, estimated before it (ewmaVolatility().volatilities). */
  readonly volatilities: readonly number[];
  readonly currentVolatility: number;
}): number[] {
  const { returns, volatilities, currentVolatility } = input;
  assertFiniteSeries('returns', returns, 1);
  assertFiniteSeries('volatilities', volatilities, returns.length);
  if (volatilities.length !== returns.length) throw new RangeError('volatilities must have one value per return');
  assertPositiveFinite('currentVolatility', currentVolatility);
  return returns.map((periodReturn, index) => {
    const volatility = volatilities[index] ?? Number.NaN;
    assertPositiveFinite(`volatilities[${index}]`, volatility);
    return (periodReturn * currentVolatility) / volatility;
  });
}

/** EWMA volatilities (ewma-volatility.ts) feeding filteredHistoricalReturns. */
export function ewmaFilteredHistoricalReturns(input: EwmaVolatilityInput): number[] {
  const { volatilities, currentVolatility } = ewmaVolatility(input);
  return filteredHistoricalReturns({ returns: input.returns, volatilities, currentVolatility });
}
