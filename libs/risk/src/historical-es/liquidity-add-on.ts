import type { HistoricalEsLiquidity } from './historical-es-parameters.js';

/**
 * Close-out cost of q contracts (formula and rationale on HistoricalEsLiquidity):
 *   N x (spreadFraction x |q| + impactFraction x max(0, |q| - Q)^1.5 / sqrt(Q))
 * Zero at q = 0, linear up to Q = liquidQuantity, convex everywhere: |q| is convex and t -> max(0, t - Q)^1.5
 * is convex and non-decreasing, so their composition is convex. Not subadditive on purpose: splitting a
 * large position between accounts does not make it cheaper to close out in one market.
 */
export function historicalEsLiquidityAddOn(
  notionalPerContract: number,
  quantity: number,
  liquidity: HistoricalEsLiquidity,
): number {
  const size = Math.abs(quantity);
  const excess = Math.max(0, size - liquidity.liquidQuantity);
  const impact = (liquidity.impactFraction * excess * Math.sqrt(excess)) / Math.sqrt(liquidity.liquidQuantity);
  return Math.abs(notionalPerContract) * (liquidity.spreadFraction * size + impact);
}
