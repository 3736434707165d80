import { Decimal } from '@novation/money';
import { ClearingError } from './clearing-error.js';

/**
 * The clearing-side shape of a ledger posting and journal entry. It mirrors JournalEntryDraft of
 * libs/persistence/src/ledger.ts field for field: clearing is a pure library and cannot import the
 * persistence layer, and the database layer passes these drafts to postJournalEntry unchanged.
 * Sign convention (as in the ledger): a positive amount credits the account, so a member's positive
 * posting is money the clearinghouse owes the member; a negative one is money the member pays.
 */
export interface PostingDraft {
  readonly accountId: string;
  readonly asset: string;
  readonly amount: Decimal;
}

export interface JournalEntryDraft {
  readonly idempotencyKey: string;
  readonly kind: string;
  readonly description: string;
  readonly postings: readonly PostingDraft[];
}

/** Most postings in one journal entry; the same bound as the persistence layer's POSTINGS_PER_ENTRY_MAX. */
export const POSTINGS_PER_ENTRY_MAX = 10_000;

/**
 * Refuses an entry the ledger would refuse, before the database is asked: empty, too large, with a zero
 * or non-finite posting, or not summing to zero in every asset. Checked here as well as in persistence
 * because every clearing operation must prove its own entry balances (the specs assert it on every draft).
 */
export function assertBalancedEntry(draft: JournalEntryDraft): void {
  if (draft.postings.length === 0) throw new ClearingError('EMPTY_ENTRY', 'postings', 'must not be empty');
  if (draft.postings.length > POSTINGS_PER_ENTRY_MAX) {
    throw new ClearingError('TOO_MANY_POSTINGS', 'postings', `has more than ${POSTINGS_PER_ENTRY_MAX} postings`);
  }
  const totalsByAsset = new Map<string, Decimal>();
  draft.postings.forEach((posting, index) => {
    if (!posting.amount.isFinite() || posting.amount.isZero()) {
      throw new ClearingError('ZERO_POSTING', `postings[${index}].amount`, 'must be a finite non-zero amount');
    }
    const total = totalsByAsset.get(posting.asset) ?? new Decimal(0);
    totalsByAsset.set(posting.asset, total.plus(posting.amount));
  });
  for (const [asset, total] of totalsByAsset) {
    if (!total.isZero()) {
      throw new ClearingError('UNBALANCED_ENTRY', 'postings', `in ${asset} sum to ${total.toFixed()}, not 0`);
    }
  }
}
