import { createHash } from 'node:crypto';
import { Decimal } from '@novation/money';
import type { EntityManager } from 'typeorm';
import { JournalEntryEntity, PostingEntity } from './entities/ledger.entity.js';

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

export type LedgerErrorCode = 'UNBALANCED_ENTRY' | 'EMPTY_ENTRY' | 'ZERO_POSTING' | 'IDEMPOTENCY_KEY_REUSED';

export class LedgerError extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'LedgerError';
  }
}

/** Most postings in one journal entry: a bound on the size of one money-moving transaction. */
export const POSTINGS_PER_ENTRY_MAX = 10_000;

export interface PostedEntry {
  readonly journalEntryId: string;
  /** False when the idempotency key had already been applied with the same payload (a safe retry). */
  readonly created: boolean;
}

/**
 * Posts a balanced journal entry, exactly once per idempotency key. Must run inside the caller's
 * transaction (`manager` of `dataSource.transaction`), so the entry commits with the change it records.
 * The same key with the same payload returns the original entry; with another payload it is refused.
 */
export async function postJournalEntry(manager: EntityManager, draft: JournalEntryDraft): Promise<PostedEntry> {
  assertBalanced(draft);
  const payloadHash = hashEntry(draft);
  const inserted: { id: string }[] = await manager.query(
    `INSERT INTO journal_entry (idempotency_key, payload_hash, kind, description) VALUES ($1, $2, $3, $4)
     ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
    [draft.idempotencyKey, payloadHash, draft.kind, draft.description],
  );
  const [row] = inserted;
  if (row === undefined) {
    const existing = await manager.findOneByOrFail(JournalEntryEntity, { idempotencyKey: draft.idempotencyKey });
    if (existing.payloadHash !== payloadHash) {
      throw new LedgerError('IDEMPOTENCY_KEY_REUSED', `key ${draft.idempotencyKey} was used for a different entry`);
    }
    return { journalEntryId: existing.id, created: false };
  }
  await manager.insert(
    PostingEntity,
    draft.postings.map((posting) => ({ journalEntryId: row.id, ...posting })),
  );
  return { journalEntryId: row.id, created: true };
}

/** Refuses an empty, oversized, zero-posting or unbalanced entry before any SQL (shared with the bulk ledger). */
export function assertBalanced(draft: JournalEntryDraft): void {
  if (draft.postings.length === 0) throw new LedgerError('EMPTY_ENTRY', 'a journal entry needs postings');
  if (draft.postings.length > POSTINGS_PER_ENTRY_MAX) {
    throw new LedgerError('UNBALANCED_ENTRY', `more than ${POSTINGS_PER_ENTRY_MAX} postings`);
  }
  const totals = new Map<string, Decimal>();
  for (const posting of draft.postings) {
    if (posting.amount.isZero()) throw new LedgerError('ZERO_POSTING', `zero posting to ${posting.accountId}`);
    totals.set(posting.asset, (totals.get(posting.asset) ?? new Decimal(0)).plus(posting.amount));
  }
  for (const [asset, total] of totals) {
    if (!total.isZero()) throw new LedgerError('UNBALANCED_ENTRY', `postings in ${asset} sum to ${total.toFixed()}`);
  }
}

/** Canonical hash of an entry's payload: postings in a fixed order, amounts in plain notation. */
export function hashEntry(draft: JournalEntryDraft): string {
  const postings = draft.postings
    .map((posting) => `${posting.accountId}|${posting.asset}|${posting.amount.toFixed()}`)
    .sort(); // code-unit order: the same on every machine, whatever its locale
  return createHash('sha256')
    .update(JSON.stringify({ kind: draft.kind, description: draft.description, postings }))
    .digest('hex');
}
