import { Decimal, ZERO } from '@novation/money';
import type { MarginTier } from './margin-tier.js';

/**
 * The deduction ("maintenance amount", Binance's `cum`) of each tier, for one fraction of the tiers.
 *
 * Binance USDⓈ-M publishes the recursion (FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures
 * Contracts", https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93):
 *   cum_0 = 0
 *   cum_n = floor_n x (MMR_n - MMR_{n-1}) + cum_{n-1}
 *   MM    = notional x MMR_tier - cum_tier
 * At notional = floor_n the two neighbouring tiers give the same requirement
 * (floor_n x MMR_n - cum_n = floor_n x MMR_{n-1} - cum_{n-1}), so the requirement is continuous across
 * tiers: the tier rate is a marginal rate charged on the part of the notional inside the tier, like an
 * income-tax bracket, and a position one unit over a floor never jumps to a much larger margin.
 *
 * Novation applies the same recursion to the initial fraction too, so the initial requirement is just as
 * continuous (Binance steps its initial margin by leverage bracket instead; we do not copy that jump).
 */
export function tierDeductionAmounts(
  tiers: readonly MarginTier[],
  fractionOf: (tier: MarginTier) => Decimal,
): readonly Decimal[] {
  const amounts: Decimal[] = [];
  let previousFraction = ZERO;
  let previousAmount = ZERO;
  for (const tier of tiers) {
    const fraction = fractionOf(tier);
    const amount = tier.notionalFloor.mul(fraction.sub(previousFraction)).add(previousAmount);
    amounts.push(amount);
    previousFraction = fraction;
    previousAmount = amount;
  }
  return amounts;
}

/** Binance's maintenance amount (`cum`) per tier: see tierDeductionAmounts. */
export function maintenanceAmounts(tiers: readonly MarginTier[]): readonly Decimal[] {
  return tierDeductionAmounts(tiers, (tier) => tier.maintenanceMarginFraction);
}

/** The same recursion over the initial fractions, which keeps the initial requirement continuous. */
export function initialAmounts(tiers: readonly MarginTier[]): readonly Decimal[] {
  return tierDeductionAmounts(tiers, (tier) => tier.initialMarginFraction);
}
