import { TEST_SNAPSHOT } from '../scenario/scenario-test-book.js';
import type { HistoricalEsMarket } from './historical-es-arrays.js';
import type { HistoricalEsParameters } from './historical-es-parameters.js';

/** Fixtures of the historical-ES specs: seeded synthetic histories for the scenario test book (BTC, ETH). */

/** mulberry32: a tiny seeded generator, so every spec run sees the same history. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Daily log returns with volatility clustering and jumps, correlated between underlyings through one
 * common factor (weight 0.7), so joint scenarios matter. Oldest first; every series `days` long.
 */
export function syntheticReturnHistory(
  underlyings: readonly string[],
  days: number,
  seed: number,
): Map<string, number[]> {
  const uniform = seededUniform(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const series = new Map<string, number[]>(underlyings.map((underlying) => [underlying, []]));
  let variance = 0.03 * 0.03;
  for (let day = 0; day < days; day += 1) {
    const common = normal();
    const jump = uniform() < 0.01 ? -4 : 0;
    let square = 0;
    for (const values of series.values()) {
      const value = Math.sqrt(variance) * (0.7 * (common + jump) + 0.71 * normal());
      values.push(value);
      square += (value * value) / underlyings.length;
    }
    variance = 0.9 * variance + 0.08 * square + 0.02 * 0.03 * 0.03;
  }
  return series;
}

export const TEST_HISTORY_DAYS = 400;

export const TEST_MARKET: HistoricalEsMarket = {
  ...TEST_SNAPSHOT,
  returnHistory: syntheticReturnHistory(['BTC', 'ETH'], TEST_HISTORY_DAYS, 20_250_101),
  stressedReturnHistory: syntheticReturnHistory(['BTC', 'ETH'], 60, 20_200_312),
};

export const TEST_PARAMETERS: HistoricalEsParameters = {
  lookbackDays: 250,
  confidence: 0.975,
  measure: 'expected-shortfall',
  marginPeriodOfRiskDays: 2,
  horizonMethod: 'overlapping',
  filtering: { kind: 'ewma', decay: 0.97, seedWindowDays: 50 },
  antiProcyclicality: { kind: 'none' },
  liquidity: {},
  maintenanceFactor: 0.8,
  volatilityFloor: 0.05,
};
