import { assertCorrelationMatrix } from './correlation-matrix.js';
import { standardNormalQuantile } from './standard-normal-quantile.js';
import {
  assertConfidence,
  assertFiniteSeries,
  assertPositiveFinite,
  assertPositiveInteger,
} from './var-preconditions.js';

/**
 * Parametric (variance-covariance, normal) VaR: Hull, Risk Management and Financial Institutions,
 * chapter "Model-Building Approach". Returns are normal with mean zero, independent across days, so the
 * h-day standard deviation is σ_daily x √h, and
 *   VaR = z x σ_daily x √h x position value,   z = Φ⁻¹(c)  (z = 2.33 at 99% in Hull's rounded examples)
 */

/** z = Φ⁻¹(confidence) for parametric VaR (2.3263... at 99%). */
export function parametricVarZScore(confidence: number): number {
  assertConfidence(confidence);
  return standardNormalQuantile(confidence);
}

export interface SingleAssetNormalVarInput {
  /** Current value of the position, in currency; its sign does not matter (normal P&L is symmetric). */
  readonly positionValue: number;
  readonly dailyVolatility: number;
  readonly zScore: number;
  readonly horizonDays: number;
}

export function singleAssetNormalValueAtRisk(input: SingleAssetNormalVarInput): number {
  if (!Number.isFinite(input.positionValue)) throw new RangeError('positionValue must be finite');
  assertPositiveFinite('dailyVolatility', input.dailyVolatility);
  assertPositiveFinite('zScore', input.zScore);
  assertPositiveInteger('horizonDays', input.horizonDays);
  return input.zScore * input.dailyVolatility * Math.sqrt(input.horizonDays) * Math.abs(input.positionValue);
}

export interface PortfolioNormalVarInput {
  /** Daily standard deviation of each position's value change, in currency (σ_i x value_i). */
  readonly dailyStandardDeviations: readonly number[];
  readonly correlationMatrix: readonly (readonly number[])[];
  readonly zScore: number;
  readonly horizonDays: number;
}

export interface PortfolioNormalVar {
  /** σ_P = √(Σ_i Σ_j ρ_ij σ_i σ_j), daily, in currency. */
  readonly portfolioDailyStandardDeviation: number;
  readonly valueAtRisk: number;
  /** Σ_i z x |σ_i| x √h: the sum of standalone VaRs, as if every position lost together. */
  readonly standaloneValueAtRiskSum: number;
  /** standaloneValueAtRiskSum - valueAtRisk, >= 0 for a valid correlation matrix. */
  readonly diversificationBenefit: number;
}

/**
 * n-asset normal VaR with a correlation matrix (Hull: σ_P² = Σ_i Σ_j ρ_ij σ_i σ_j; two assets:
 * σ_P = √(σ_1² + σ_2² + 2 ρ σ_1 σ_2)). Positions may be negative (shorts) through negative σ_i.
 */
export function portfolioNormalValueAtRisk(input: PortfolioNormalVarInput): PortfolioNormalVar {
  const { dailyStandardDeviations, correlationMatrix, zScore, horizonDays } = input;
  assertFiniteSeries('dailyStandardDeviations', dailyStandardDeviations, 1);
  assertCorrelationMatrix(correlationMatrix, dailyStandardDeviations.length);
  assertPositiveFinite('zScore', zScore);
  assertPositiveInteger('horizonDays', horizonDays);
  let variance = 0;
  dailyStandardDeviations.forEach((first, rowIndex) => {
    dailyStandardDeviations.forEach((second, columnIndex) => {
      variance += (correlationMatrix[rowIndex]?.[columnIndex] ?? 0) * first * second;
    });
  });
  // A PSD matrix gives variance >= 0 up to round-off; clamp the round-off, not a real negative.
  const portfolioDailyStandardDeviation = Math.sqrt(Math.max(0, variance));
  const horizonScale = zScore * Math.sqrt(horizonDays);
  const valueAtRisk = horizonScale * portfolioDailyStandardDeviation;
  const standaloneValueAtRiskSum = dailyStandardDeviations.reduce(
    (sum, value) => sum + horizonScale * Math.abs(value),
    0,
  );
  return {
    portfolioDailyStandardDeviation,
    valueAtRisk,
    standaloneValueAtRiskSum,
    diversificationBenefit: standaloneValueAtRiskSum - valueAtRisk,
  };
}
