import { roundPayout, roundRequirement } from '@novation/money';
import type { Decimal } from '@novation/money';

/**
 * Rounds an amount credited (positive) or debited (negative) to a member to the settlement asset's scale
 * so the member never gains from rounding: a credit (profit, rebate, premium received, funding received)
 * rounds down toward zero (roundPayout), a debit (loss, fee, premium paid, funding paid) rounds up in
 * magnitude (roundRequirement). The difference always lands in a house account, in the house's favour.
 */
export function roundMemberAmount(amount: Decimal, scale: number): Decimal {
  return amount.isNegative() ? roundRequirement(amount, scale) : roundPayout(amount, scale);
}
