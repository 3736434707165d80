import { HistoricalEsError } from './historical-es-error.js';

/**
 * Parameters of the historical expected-shortfall margin model (the SPAN 2 / Eurex Prisma / OCC STANS
 * family): the portfolio is revalued under every historical day of a look-back window, and the margin is
 * a tail measure of the resulting P&L vector plus anti-procyclicality and liquidity add-ons. Plain data, so
 * a clearinghouse's model is a parameter set, not a code path.
 */
export interface HistoricalEsParameters {
  /** Number of most recent scenario returns used (after filtering and the horizon), e.g. 750. */
  readonly lookbackDays: number;
  /** Confidence of the tail measure, in [0.5, 1), e.g. 0.975. Tail count k = ceil(n x (1 - c)). */
  readonly confidence: number;
  /** The risk measure that sets the margin; both are always reported. */
  readonly measure: HistoricalEsMeasure;
  /** h, the days needed to close out a defaulter: 2 for listed crypto, 5 for OTC (EMIR RTS art. 26). */
  readonly marginPeriodOfRiskDays: number;
  readonly horizonMethod: HistoricalEsHorizonMethod;
  readonly filtering: HistoricalEsFiltering;
  readonly antiProcyclicality: HistoricalEsAntiProcyclicality;
  /** Close-out cost parameters per instrument id; an instrument without an entry gets no liquidity add-on. */
  readonly liquidity: Readonly<Record<string, HistoricalEsLiquidity>>;
  /** Maintenance margin = initial margin x this factor, in (0, 1]. */
  readonly maintenanceFactor: number;
  /** Floor of the implied volatility options are repriced with, > 0. */
  readonly volatilityFloor: number;
}

export type HistoricalEsMeasure = 'expected-shortfall' | 'value-at-risk';

/**
 * 'overlapping': scenario returns are overlapping h-day sums of daily log returns (n - h + 1 windows).
 * 'square-root-of-time': scenario returns are the 1-day log returns, and each scenario P&L is multiplied
 * by sqrt(h). Scaling the P&L (not the return) keeps the measure exactly sqrt(h) x the 1-day measure, the
 * textbook rule, and keeps it positively homogeneous in the quantities.
 */
export type HistoricalEsHorizonMethod = 'overlapping' | 'square-root-of-time';

/**
 * Filtered historical simulation: each daily return r_t becomes r_t x sigma_now / sigma_t with EWMA
 * volatilities (decay lambda, RiskMetrics recursion). `seedWindowDays` present: the first seedWindowDays
 * returns seed the variance (mean of squares) and are not used as scenarios. Absent: the mean square of
 * the whole series seeds the variance and every return stays a scenario.
 */
export type HistoricalEsFiltering =
  { readonly kind: 'none' } | { readonly kind: 'ewma'; readonly decay: number; readonly seedWindowDays?: number };

/**
 * Anti-procyclicality tool of EMIR RTS 153/2013 art. 28(1), with R the risk measure (floored at 0):
 * - 'buffer' (art. 28(1)(a)): IM = R x (1 + bufferFraction); the add-on is R x bufferFraction.
 * - 'stress-period-floor' (art. 28(1)(b)): IM = max(R, (1 - weight) x R + weight x R_stressed), where
 *   R_stressed is the same measure at the same confidence computed on the stressed-period returns of the
 *   market data (not filtered, not truncated). The add-on is weight x max(0, R_stressed - R). Both R and
 *   R_stressed are coherent, so the floor stays positively homogeneous and subadditive.
 */
export type HistoricalEsAntiProcyclicality =
  | { readonly kind: 'none' }
  | { readonly kind: 'buffer'; readonly bufferFraction: number }
  | { readonly kind: 'stress-period-floor'; readonly weight: number };

/**
 * Liquidity (close-out cost) add-on of one position of q contracts, with N the underlying notional of one
 * contract in the settlement asset:
 *   addOn(q) = N x (spreadFraction x |q| + impactFraction x max(0, |q| - Q)^1.5 / sqrt(Q)),  Q = liquidQuantity
 * Half-spread cost is linear; beyond Q the square-root market-impact law (cost per contract growing like
 * sqrt of the excess) gives a 1.5 power. The add-on is convex in q, which position sizing by bisection needs.
 */
export interface HistoricalEsLiquidity {
  /** Contracts that can be closed within the margin period of risk without market impact, > 0. */
  readonly liquidQuantity: number;
  /** Cost of crossing the spread, as a fraction of notional, >= 0. */
  readonly spreadFraction: number;
  /** Impact coefficient, as a fraction of notional, >= 0. */
  readonly impactFraction: number;
}

/** Longest look-back: 20 years of daily scenarios; bounds the risk-array memory with the instrument count. */
export const HISTORICAL_ES_LOOKBACK_DAYS_MAX = 5_000;
/** Longest margin period of risk; anything longer is no longer a close-out period. */
export const HISTORICAL_ES_MARGIN_PERIOD_OF_RISK_DAYS_MAX = 60;
/** Largest anti-procyclicality buffer: 10 x the risk measure. */
export const HISTORICAL_ES_BUFFER_FRACTION_MAX = 10;
/** Most liquidity entries in one parameter set. */
export const HISTORICAL_ES_LIQUIDITY_ENTRY_COUNT_MAX = 100_000;

export function assertValidHistoricalEsParameters(parameters: HistoricalEsParameters): void {
  assertIntegerInRange('lookbackDays', parameters.lookbackDays, 1, HISTORICAL_ES_LOOKBACK_DAYS_MAX);
  if (!(parameters.confidence >= 0.5 && parameters.confidence < 1)) {
    fail(`confidence must be in [0.5, 1), got ${parameters.confidence}`);
  }
  if (parameters.measure !== 'expected-shortfall' && parameters.measure !== 'value-at-risk') {
    fail(`measure must be 'expected-shortfall' or 'value-at-risk', got ${String(parameters.measure)}`);
  }
  assertIntegerInRange(
    'marginPeriodOfRiskDays',
    parameters.marginPeriodOfRiskDays,
    1,
    HISTORICAL_ES_MARGIN_PERIOD_OF_RISK_DAYS_MAX,
  );
  if (parameters.horizonMethod !== 'overlapping' && parameters.horizonMethod !== 'square-root-of-time') {
    fail(`horizonMethod must be 'overlapping' or 'square-root-of-time', got ${String(parameters.horizonMethod)}`);
  }
  assertFiltering(parameters.filtering);
  assertAntiProcyclicality(parameters.antiProcyclicality);
  assertLiquidity(parameters.liquidity);
  if (!(parameters.maintenanceFactor > 0 && parameters.maintenanceFactor <= 1)) {
    fail(`maintenanceFactor must be in (0, 1], got ${parameters.maintenanceFactor}`);
  }
  if (!(parameters.volatilityFloor > 0) || !Number.isFinite(parameters.volatilityFloor)) {
    fail(`volatilityFloor must be finite and > 0, got ${parameters.volatilityFloor}`);
  }
}

function assertFiltering(filtering: HistoricalEsFiltering): void {
  switch (filtering.kind) {
    case 'none':
      return;
    case 'ewma':
      if (!(filtering.decay > 0 && filtering.decay < 1))
        fail(`filtering.decay must be in (0, 1), got ${filtering.decay}`);
      if (filtering.seedWindowDays !== undefined) {
        assertIntegerInRange('filtering.seedWindowDays', filtering.seedWindowDays, 1, HISTORICAL_ES_LOOKBACK_DAYS_MAX);
      }
      return;
    default:
      fail(`filtering.kind must be 'none' or 'ewma', got ${String((filtering as { kind: unknown }).kind)}`);
  }
}

function assertAntiProcyclicality(tool: HistoricalEsAntiProcyclicality): void {
  switch (tool.kind) {
    case 'none':
      return;
    case 'buffer':
      if (!(tool.bufferFraction >= 0 && tool.bufferFraction <= HISTORICAL_ES_BUFFER_FRACTION_MAX)) {
        fail(
          `antiProcyclicality.bufferFraction must be in [0, ${HISTORICAL_ES_BUFFER_FRACTION_MAX}], got ${tool.bufferFraction}`,
        );
      }
      return;
    case 'stress-period-floor':
      if (!(tool.weight >= 0 && tool.weight <= 1))
        fail(`antiProcyclicality.weight must be in [0, 1], got ${tool.weight}`);
      return;
    default:
      fail(`antiProcyclicality.kind is unknown: ${String((tool as { kind: unknown }).kind)}`);
  }
}

function assertLiquidity(liquidity: Readonly<Record<string, HistoricalEsLiquidity>>): void {
  const entries = Object.entries(liquidity);
  if (entries.length > HISTORICAL_ES_LIQUIDITY_ENTRY_COUNT_MAX) {
    fail(`liquidity has ${entries.length} entries, more than ${HISTORICAL_ES_LIQUIDITY_ENTRY_COUNT_MAX}`);
  }
  for (const [instrumentId, entry] of entries) {
    const name = `liquidity[${instrumentId}]`;
    if (!(entry.liquidQuantity > 0) || !Number.isFinite(entry.liquidQuantity)) {
      fail(`${name}.liquidQuantity must be finite and > 0, got ${entry.liquidQuantity}`);
    }
    if (!(entry.spreadFraction >= 0) || !Number.isFinite(entry.spreadFraction)) {
      fail(`${name}.spreadFraction must be finite and >= 0, got ${entry.spreadFraction}`);
    }
    if (!(entry.impactFraction >= 0) || !Number.isFinite(entry.impactFraction)) {
      fail(`${name}.impactFraction must be finite and >= 0, got ${entry.impactFraction}`);
    }
  }
}

function assertIntegerInRange(name: string, value: number, minimum: number, maximum: number): void {
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
    fail(`${name} must be an integer in [${minimum}, ${maximum}], got ${value}`);
  }
}

function fail(detail: string): never {
  throw new HistoricalEsError('INVALID_PARAMETERS', detail);
}

/**
 * The parameters that shape the risk arrays. Arrays built with one set can margin with another only if
 * these agree; the anti-procyclicality tool, liquidity and maintenance factor are read per call.
 */
export function arrayShapingKey(parameters: HistoricalEsParameters): string {
  const { lookbackDays, confidence, measure, marginPeriodOfRiskDays, horizonMethod, filtering, volatilityFloor } =
    parameters;
  // Filtering is listed field by field: JSON.stringify of the object would depend on its key order.
  const filter = filtering.kind === 'ewma' ? [filtering.kind, filtering.decay, filtering.seedWindowDays ?? null] : [];
  return JSON.stringify([
    lookbackDays,
    confidence,
    measure,
    marginPeriodOfRiskDays,
    horizonMethod,
    filter,
    volatilityFloor,
  ]);
}
