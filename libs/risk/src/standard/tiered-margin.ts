import { Decimal, roundRequirement } from '@novation/money';
import { assertNonNegative } from './decimal-preconditions.js';
import { marginTierIndex, validateMarginTiers, type MarginTier } from './margin-tier.js';
import { openInterestScaledInitialMarginFraction, type OpenInterestScaling } from './open-interest-scaling.js';
import { initialAmounts, maintenanceAmounts } from './tier-amounts.js';

export interface TieredMarginInput {
  /** Absolute position notional in the tier table's unit (see MarginTier). */
  readonly notional: Decimal;
  readonly tiers: readonly MarginTier[];
  /** Optional dYdX-style scaling; when present, openInterestNotional must be given too. */
  readonly openInterestScaling: OpenInterestScaling | null;
  /** The market's open interest notional; required when openInterestScaling is set, else null. */
  readonly openInterestNotional: Decimal | null;
  /** Decimal places of the settlement asset; both requirements are rounded up to it. */
  readonly scale: number;
}

export interface TieredMarginRequirement {
  readonly tierIndex: number;
  /** Maintenance amount (Binance `cum`) of the tier, unrounded. */
  readonly maintenanceAmount: Decimal;
  /** Initial requirement / notional after tiers and open-interest scaling, unrounded (0 for 0 notional). */
  readonly effectiveInitialMarginFraction: Decimal;
  /** Maintenance requirement / notional, unrounded (0 for 0 notional). */
  readonly effectiveMaintenanceMarginFraction: Decimal;
  /** Rounded up to `scale`: a settled requirement never rounds in the member's favour. */
  readonly initialMargin: Decimal;
  readonly maintenanceMargin: Decimal;
}

/**
 * Standard-linear margin of one position from a notional tier table:
 *   MM = notional x MMF_tier - maintenanceAmount_tier            (Binance, see tier-amounts.ts)
 *   IM = notional x IMF_tier - initialAmount_tier                (same recursion on the initial fraction)
 * then, with open-interest scaling, IM = notional x scaledIMF where scaledIMF applies dYdX's formula to
 * the average initial fraction IM / notional (open-interest-scaling.ts). For a single-tier table this is
 * exactly dYdX's IMR = |S x P x I|, MMR = |S x P x M| (CV-DYDX-03). Scaling the average fraction keeps the
 * requirement continuous in both notional and open interest, and never lowers it.
 *
 * IM > MM for every positive notional: both are sums of marginal rates over the same brackets and every
 * tier has MMF < IMF (validateMarginTiers).
 */
export function tieredMarginRequirement(input: TieredMarginInput): TieredMarginRequirement {
  const { notional, tiers, scale } = input;
  assertNonNegative('notional', notional);
  validateMarginTiers(tiers);
  const tierIndex = marginTierIndex(tiers, notional);
  const tier = tiers[tierIndex];
  const maintenanceAmount = maintenanceAmounts(tiers)[tierIndex];
  const initialAmount = initialAmounts(tiers)[tierIndex];
  if (tier === undefined || maintenanceAmount === undefined || initialAmount === undefined) {
    throw new RangeError(`tier ${tierIndex} missing after validation`);
  }
  const maintenanceMargin = notional.mul(tier.maintenanceMarginFraction).sub(maintenanceAmount);
  let initialMargin = notional.mul(tier.initialMarginFraction).sub(initialAmount);
  let effectiveInitialMarginFraction = notional.isZero() ? new Decimal(0) : initialMargin.div(notional);
  if (input.openInterestScaling !== null) {
    if (input.openInterestNotional === null) {
      throw new RangeError('openInterestNotional is required when openInterestScaling is set');
    }
    if (!notional.isZero()) {
      effectiveInitialMarginFraction = openInterestScaledInitialMarginFraction({
        baseInitialMarginFraction: effectiveInitialMarginFraction,
        openInterestNotional: input.openInterestNotional,
        scaling: input.openInterestScaling,
      });
      initialMargin = notional.mul(effectiveInitialMarginFraction);
    }
  }
  return {
    tierIndex,
    maintenanceAmount,
    effectiveInitialMarginFraction,
    effectiveMaintenanceMarginFraction: notional.isZero() ? new Decimal(0) : maintenanceMargin.div(notional),
    initialMargin: roundRequirement(initialMargin, scale),
    maintenanceMargin: roundRequirement(maintenanceMargin, scale),
  };
}
