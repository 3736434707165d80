import { ScenarioMarginError } from './scenario-margin-error.js';

/**
 * Parameters of the portfolio-scenario (risk-array) margin model, as plain data so that SPAN's 16
 * scenarios and a Deribit-style grid are both a parameter set, not two code paths.
 */
export interface ScenarioMarginParameters {
  /** Underlying price moves of the grid, as fractions of the price (0.1 = +10%). Outer loop of the grid. */
  readonly priceShockFractions: readonly number[];
  /** Implied-volatility moves of the grid, relative to the current vol (0.25 = vol x 1.25). Inner loop. */
  readonly volatilityShockFractions: readonly number[];
  /** Extreme moves appended after the grid; their loss counts only for `weight` (SPAN's cover fraction). */
  readonly tailScenarios: readonly TailScenario[];
  readonly volatilityScaling: VolatilityShockScaling;
  /** Floor of a shocked implied volatility: a vol shock of -100% would otherwise break the pricer. */
  readonly volatilityFloor: number;
  /** Charge per short option contract, as a fraction of the contract's underlying notional. */
  readonly shortOptionChargeFraction: number;
  /**
   * What the short-option charge counts: 'per-contract' (default) charges every short option contract;
   * 'net-per-strike' (Deribit's legacy portfolio margin) nets calls and puts of the same expiry and strike
   * first and charges only the net short (calls +10, puts -20 at one strike: 10 contracts charged).
   */
  readonly shortOptionChargeBasis?: ShortOptionChargeBasis;
  /**
   * Charge on futures that offset each other within an underlying (long one expiry, short another: a
   * calendar spread the price grid sees as riskless), as a fraction of min(long, short) underlying
   * notional. Deribit's legacy portfolio margin: 1%. Absent or 0: no charge.
   */
  readonly futuresOffsetChargeFraction?: number;
  /** Charge on |net delta| per underlying group, as a fraction of the delta's underlying notional. */
  readonly netDeltaChargeFraction: number;
  /** Maintenance margin = initial margin x this factor, in (0, 1]. */
  readonly maintenanceFactor: number;
  /** Credits between underlying groups; empty means no offsets (every group margined on its own). */
  readonly groupOffsets: readonly GroupOffset[];
}

export type ShortOptionChargeBasis = 'per-contract' | 'net-per-strike';

export interface TailScenario {
  readonly priceShockFraction: number;
  readonly volatilityShockFraction: number;
  /** Fraction of the loss counted, in (0, 1]: 0.35 for SPAN's extreme moves. */
  readonly weight: number;
}

/**
 * Vol shocks are scaled by (referenceDays / daysToExpiry)^power because short-dated implied vol moves
 * far more than long-dated vol (Deribit portfolio margin). Separate powers let the short end move harder.
 */
export interface VolatilityShockScaling {
  /** 30 in Deribit's formula. */
  readonly referenceDays: number;
  /** Expiries strictly shorter than this (in days) use shortDatedPower, the others longDatedPower. */
  readonly shortDatedThresholdDays: number;
  readonly shortDatedPower: number;
  readonly longDatedPower: number;
  /** Days to expiry are floored here, so an option expiring in minutes does not get an infinite shock. */
  readonly daysToExpiryMin: number;
}

/** Credit of `creditFraction` x the smaller of the two group losses (e.g. BTC against ETH). */
export interface GroupOffset {
  readonly firstUnderlying: string;
  readonly secondUnderlying: string;
  readonly creditFraction: number;
}

/** One expanded scenario: grid scenarios first (price outer, vol inner), then tail scenarios. */
export interface Scenario {
  readonly priceShockFraction: number;
  readonly volatilityShockFraction: number;
  readonly weight: number;
  readonly description: string;
}

/** Limit on the scenario count: bounds the memory of risk arrays (instruments x scenarios float64). */
export const SCENARIO_COUNT_MAX = 1024;

export function assertValidScenarioParameters(parameters: ScenarioMarginParameters): void {
  const { priceShockFractions, volatilityShockFractions, tailScenarios, volatilityScaling } = parameters;
  if (priceShockFractions.length === 0 || volatilityShockFractions.length === 0) {
    fail('the grid needs at least one price shock and one volatility shock');
  }
  const count = priceShockFractions.length * volatilityShockFractions.length + tailScenarios.length;
  if (count > SCENARIO_COUNT_MAX) fail(`${count} scenarios, more than ${SCENARIO_COUNT_MAX}`);
  priceShockFractions.forEach((shock, index) => assertPriceShock(`priceShockFractions[${index}]`, shock));
  volatilityShockFractions.forEach((shock, index) => assertFinite(`volatilityShockFractions[${index}]`, shock));
  tailScenarios.forEach((tail, index) => {
    assertPriceShock(`tailScenarios[${index}].priceShockFraction`, tail.priceShockFraction);
    assertFinite(`tailScenarios[${index}].volatilityShockFraction`, tail.volatilityShockFraction);
    if (!(tail.weight > 0 && tail.weight <= 1)) fail(`tailScenarios[${index}].weight must be in (0, 1]`);
  });
  assertPositive('volatilityScaling.referenceDays', volatilityScaling.referenceDays);
  assertPositive('volatilityScaling.daysToExpiryMin', volatilityScaling.daysToExpiryMin);
  assertNonNegative('volatilityScaling.shortDatedThresholdDays', volatilityScaling.shortDatedThresholdDays);
  assertNonNegative('volatilityScaling.shortDatedPower', volatilityScaling.shortDatedPower);
  assertNonNegative('volatilityScaling.longDatedPower', volatilityScaling.longDatedPower);
  assertPositive('volatilityFloor', parameters.volatilityFloor);
  assertNonNegative('shortOptionChargeFraction', parameters.shortOptionChargeFraction);
  assertNonNegative('netDeltaChargeFraction', parameters.netDeltaChargeFraction);
  const basis = parameters.shortOptionChargeBasis;
  if (basis !== undefined && basis !== 'per-contract' && basis !== 'net-per-strike') {
    fail(`shortOptionChargeBasis must be 'per-contract' or 'net-per-strike', got ${String(basis)}`);
  }
  if (parameters.futuresOffsetChargeFraction !== undefined) {
    assertNonNegative('futuresOffsetChargeFraction', parameters.futuresOffsetChargeFraction);
  }
  if (!(parameters.maintenanceFactor > 0 && parameters.maintenanceFactor <= 1)) {
    fail(`maintenanceFactor must be in (0, 1], got ${parameters.maintenanceFactor}`);
  }
  parameters.groupOffsets.forEach((offset, index) => {
    if (offset.firstUnderlying === offset.secondUnderlying) fail(`groupOffsets[${index}] pairs a group with itself`);
    if (!(offset.creditFraction >= 0 && offset.creditFraction <= 1)) {
      fail(`groupOffsets[${index}].creditFraction must be in [0, 1]`);
    }
  });
}

/** Expands the grid and tails into the ordered scenario list every risk array is indexed by. */
export function expandScenarios(parameters: ScenarioMarginParameters): readonly Scenario[] {
  assertValidScenarioParameters(parameters);
  const scenarios: Scenario[] = [];
  for (const priceShockFraction of parameters.priceShockFractions) {
    for (const volatilityShockFraction of parameters.volatilityShockFractions) {
      const description = `price ${formatPercent(priceShockFraction)}, vol ${formatPercent(volatilityShockFraction)}`;
      scenarios.push({ priceShockFraction, volatilityShockFraction, weight: 1, description });
    }
  }
  for (const tail of parameters.tailScenarios) {
    const description = `tail price ${formatPercent(tail.priceShockFraction)}, vol ${formatPercent(
      tail.volatilityShockFraction,
    )}, weight ${tail.weight}`;
    scenarios.push({ ...tail, description });
  }
  return scenarios;
}

/** The multiplier of the vol shock for an expiry `daysToExpiry` away: (referenceDays / days)^power. */
export function volatilityShockScale(scaling: VolatilityShockScaling, daysToExpiry: number): number {
  const days = Math.max(daysToExpiry, scaling.daysToExpiryMin);
  const power = days < scaling.shortDatedThresholdDays ? scaling.shortDatedPower : scaling.longDatedPower;
  return Math.pow(scaling.referenceDays / days, power);
}

function formatPercent(fraction: number): string {
  const percent = Math.round(fraction * 10_000) / 100;
  return `${percent >= 0 ? '+' : ''}${percent}%`;
}

function assertPriceShock(name: string, shock: number): void {
  // A move of -100% or worse would put the underlying at a non-positive price, where no pricer works.
  if (!Number.isFinite(shock) || shock <= -1) fail(`${name} must be finite and > -1, got ${shock}`);
}

function assertFinite(name: string, value: number): void {
  if (!Number.isFinite(value)) fail(`${name} must be finite, got ${value}`);
}

function assertPositive(name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) fail(`${name} must be finite and > 0, got ${value}`);
}

function assertNonNegative(name: string, value: number): void {
  if (!(value >= 0) || !Number.isFinite(value)) fail(`${name} must be finite and >= 0, got ${value}`);
}

function fail(detail: string): never {
  throw new ScenarioMarginError('INVALID_PARAMETERS', detail);
}
