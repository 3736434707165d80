/**
 * Why no implied volatility was returned. The solver never returns NaN: every failure has a code.
 * - INVALID_INPUT: a price, strike, time or rate is not a finite number in its domain (T must be > 0).
 * - PRICE_BELOW_INTRINSIC: the price is at or below the discounted intrinsic value max(F - K, 0) e^{-rT}
 *   (or its put analogue), so no positive volatility reproduces it.
 * - PRICE_ABOVE_UPPER_BOUND: the price is at or above S e^{-qT} (call) or K e^{-rT} (put), the limit as
 *   volatility tends to infinity.
 * - VOLATILITY_ABOVE_MAXIMUM: the price needs a volatility above IMPLIED_VOLATILITY_MAX.
 * - NO_CONVERGENCE: the iteration limit was reached (not expected: the bracket halves at worst each step).
 */
export type ImpliedVolatilityErrorCode =
  'INVALID_INPUT' | 'PRICE_BELOW_INTRINSIC' | 'PRICE_ABOVE_UPPER_BOUND' | 'VOLATILITY_ABOVE_MAXIMUM' | 'NO_CONVERGENCE';

export class ImpliedVolatilityError extends Error {
  constructor(
    readonly code: ImpliedVolatilityErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'ImpliedVolatilityError';
  }
}
