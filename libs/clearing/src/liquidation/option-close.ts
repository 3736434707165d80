import { ZERO, roundPayout, roundRequirement } from '@novation/money';
import type { Decimal } from '@novation/money';
import { optionPremiumAmount } from '@novation/instruments';
import type { EuropeanOption } from '@novation/instruments';

/** The money of one option close, in the option's settlement asset, at its scale; signed as posted. */
export interface OptionCloseAmounts {
  /**
   * The liquidated account: the premium at the execution price, as if it had traded there. Closing a long
   * sells the option, a credit rounded down; closing a short buys it back, a debit rounded up.
   */
  readonly account: Decimal;
  /** The liquidation account: it takes the contracts over at mark and pays (or is paid) that premium. */
  readonly liquidationAccount: Decimal;
  /** The insurance fund: the account's premium at mark less its premium at the execution price, >= 0. */
  readonly penalty: Decimal;
}

/**
 * Options are premium-settled (novation.ts): a close moves a premium, not PnL. The liquidated account
 * closes `closedContracts` (signed as its position: positive sells a long, negative buys a short back) at
 * `executionPrice`; the liquidation account takes them at `markPrice`. Both premiums are rounded as a
 * member's would be (a credit down, a debit up), so the account never gains from rounding and the
 * liquidation account's side is the account's own premium at mark, as in the futures close where it takes
 * the account's PnL at mark. The penalty is the difference, so the three amounts sum to zero. Either price
 * may be 0 (a worthless option): then nothing moves.
 */
export function optionCloseAmounts(
  option: EuropeanOption,
  closedContracts: Decimal,
  executionPrice: Decimal,
  markPrice: Decimal,
  scale: number,
): OptionCloseAmounts {
  const sold = closedContracts.isPositive();
  const magnitude = closedContracts.abs();
  const memberPremium = (price: Decimal): Decimal => {
    const premium = optionPremiumAmount(option, magnitude, price);
    return sold ? roundPayout(premium, scale) : roundRequirement(premium, scale).negated();
  };
  const account = normalised(memberPremium(executionPrice));
  const atMark = normalised(memberPremium(markPrice));
  return { account, liquidationAccount: normalised(atMark.negated()), penalty: normalised(atMark.minus(account)) };
}

/** Decimal keeps a sign on zero (-0 from negating 0): posted amounts and compared penalties must not. */
function normalised(amount: Decimal): Decimal {
  return amount.isZero() ? ZERO : amount;
}
