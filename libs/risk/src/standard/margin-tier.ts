import { Decimal } from '@novation/money';
import { assertNonNegative, assertOpenUnitFraction } from './decimal-preconditions.js';

/**
 * One notional tier of a standard-linear instrument: the initial and maintenance margin fractions that
 * apply to the part of a position's notional in [notionalFloor, notionalCap). Tiers are parameters (data
 * from the active risk parameter set), never code.
 *
 * Notional is in the unit the venue's tier table uses: quote currency for linear contracts (Binance
 * USDⓈ-M), coin for inverse contracts (Binance COIN-M). The requirement comes out in the same unit.
 */
export interface MarginTier {
  readonly notionalFloor: Decimal;
  /** Exclusive upper bound; null only on the last tier, meaning unbounded. */
  readonly notionalCap: Decimal | null;
  readonly initialMarginFraction: Decimal;
  readonly maintenanceMarginFraction: Decimal;
}

/** Most tiers one instrument may have: venues publish at most a few dozen; more is a data error. */
export const MARGIN_TIER_COUNT_MAX = 64;

/**
 * Validates a tier table. The rules make the tiered requirement well defined and monotone:
 * - at least one tier, at most MARGIN_TIER_COUNT_MAX;
 * - the first floor is 0 and every cap equals the next floor (contiguous, no gap, no overlap);
 * - floors strictly increase; only the last cap may be null;
 * - every fraction is in (0, 1) and maintenance < initial within a tier (so IM > MM for any notional);
 * - fractions are non-decreasing from tier to tier, so the marginal rate never falls as a position
 *   grows (a larger position never needs less margin). Equal consecutive rates are allowed: they add
 *   a zero step to the maintenance-amount recursion and change nothing.
 */
export function validateMarginTiers(tiers: readonly MarginTier[]): void {
  if (tiers.length === 0) throw new RangeError('a tier table needs at least one tier');
  if (tiers.length > MARGIN_TIER_COUNT_MAX) {
    throw new RangeError(`a tier table has at most ${MARGIN_TIER_COUNT_MAX} tiers, got ${tiers.length}`);
  }
  tiers.forEach((tier, index) => {
    const label = `tier ${index}`;
    assertNonNegative(`${label} notionalFloor`, tier.notionalFloor);
    assertOpenUnitFraction(`${label} initialMarginFraction`, tier.initialMarginFraction);
    assertOpenUnitFraction(`${label} maintenanceMarginFraction`, tier.maintenanceMarginFraction);
    if (!tier.maintenanceMarginFraction.lt(tier.initialMarginFraction)) {
      throw new RangeError(`${label}: maintenanceMarginFraction must be < initialMarginFraction`);
    }
    if (index === 0 && !tier.notionalFloor.isZero()) throw new RangeError('tier 0 must start at notional 0');
    const next = tiers[index + 1];
    if (next === undefined) {
      if (tier.notionalCap !== null && !tier.notionalCap.gt(tier.notionalFloor)) {
        throw new RangeError(`${label}: notionalCap must be > notionalFloor`);
      }
      return;
    }
    if (tier.notionalCap === null) throw new RangeError(`${label}: only the last tier may have no cap`);
    if (!tier.notionalCap.gt(tier.notionalFloor)) throw new RangeError(`${label}: notionalCap must be > notionalFloor`);
    if (!tier.notionalCap.eq(next.notionalFloor)) {
      throw new RangeError(`${label}: notionalCap must equal the next tier's notionalFloor (tiers must be contiguous)`);
    }
    if (next.initialMarginFraction.lt(tier.initialMarginFraction)) {
      throw new RangeError(`tier ${index + 1}: initialMarginFraction must not decrease`);
    }
    if (next.maintenanceMarginFraction.lt(tier.maintenanceMarginFraction)) {
      throw new RangeError(`tier ${index + 1}: maintenanceMarginFraction must not decrease`);
    }
  });
}

/**
 * Index of the tier whose [floor, cap) holds the notional. Throws when the notional is negative or at or
 * above the last finite cap: such a position exceeds the instrument's largest allowed size.
 * Expects a validated table.
 */
export function marginTierIndex(tiers: readonly MarginTier[], notional: Decimal): number {
  assertNonNegative('notional', notional);
  for (let index = tiers.length - 1; index >= 0; index -= 1) {
    const tier = tiers[index];
    if (tier === undefined || notional.lt(tier.notionalFloor)) continue;
    if (tier.notionalCap !== null && !notional.lt(tier.notionalCap)) {
      throw new RangeError(`notional ${notional.toString()} is at or above the largest tier cap`);
    }
    return index;
  }
  throw new RangeError('no tier holds the notional: validate the tier table first');
}
