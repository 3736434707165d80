import { ZERO } from '@novation/money';
import type { Decimal } from '@novation/money';
import { assertBalancedEntry } from './ledger-draft.js';
import type { JournalEntryDraft, PostingDraft } from './ledger-draft.js';

/** A signed amount for one account: positive credits it, negative debits it (the ledger's convention). */
export interface AccountAmount {
  readonly accountId: string;
  readonly amount: Decimal;
}

/**
 * Postings of member amounts (already rounded to the asset's scale) balanced by one house posting that
 * takes their negated sum, so the postings balance whatever the rounding did. Zero amounts are left out:
 * the ledger refuses zero postings.
 */
export function balancedPostings(
  memberAmounts: readonly AccountAmount[],
  asset: string,
  houseAccountId: string,
): PostingDraft[] {
  const postings: PostingDraft[] = [];
  let memberTotal = ZERO;
  for (const { accountId, amount } of memberAmounts) {
    if (amount.isZero()) continue;
    postings.push({ accountId, asset, amount });
    memberTotal = memberTotal.plus(amount);
  }
  if (!memberTotal.isZero()) postings.push({ accountId: houseAccountId, asset, amount: memberTotal.negated() });
  return postings;
}

export interface EntryHeader {
  readonly idempotencyKey: string;
  readonly kind: string;
  readonly description: string;
}

/**
 * The journal entry of an operation, or null when no money moves (every amount is zero: an opening trade
 * without fees, a zero funding rate), because an empty entry is not a valid journal entry.
 */
export function finishEntry(header: EntryHeader, postings: readonly PostingDraft[]): JournalEntryDraft | null {
  if (postings.length === 0) return null;
  const draft: JournalEntryDraft = { ...header, postings };
  assertBalancedEntry(draft);
  return draft;
}
