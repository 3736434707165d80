import { Decimal } from '@novation/money';
import type { EntityManager } from 'typeorm';
import { LedgerError, assertBalanced, hashEntry } from '../ledger.js';
import type { JournalEntryDraft, PostedEntry } from '../ledger.js';
import { arrayParameter, present, runQuery } from './sql.js';

/** Most entries in one bulk call: bounds the arrays bound as query parameters. */
export const JOURNAL_ENTRIES_PER_CALL_MAX = 5_000;

/** numeric(38,18): amounts with more digits are refused here rather than rounded by PostgreSQL. */
const AMOUNT_SCALE_MAX = 18;
const AMOUNT_MAGNITUDE_LIMIT = new Decimal('1e20');

/**
 * postJournalEntry of ledger.ts for many entries at once, with the same semantics per idempotency key:
 * a new key inserts the entry and its postings; the same key with the same payload hash is a no-op that
 * returns the original id (`created: false`); the same key with another payload yields
 * LedgerError('IDEMPOTENCY_KEY_REUSED') in that entry's slot (the caller decides whether that aborts its
 * transaction). Malformed drafts (empty, unbalanced, zero posting) throw before any SQL, as postJournalEntry
 * does. Three statements whatever the number of entries: one multi-row INSERT of the entries, one SELECT of
 * the keys that already existed (only when some did), one multi-row INSERT of the postings.
 *
 * Must run inside the caller's transaction. The checks and the payload hash are ledger.ts's own, so an
 * entry posted here and retried through postJournalEntry (or the reverse) is recognised as the same entry.
 */
export async function postJournalEntries(
  manager: EntityManager,
  drafts: readonly JournalEntryDraft[],
): Promise<(PostedEntry | LedgerError)[]> {
  if (drafts.length > JOURNAL_ENTRIES_PER_CALL_MAX) {
    throw new RangeError(`at most ${JOURNAL_ENTRIES_PER_CALL_MAX} journal entries per call`);
  }
  if (drafts.length === 0) return [];
  for (const draft of drafts) assertBalanced(draft);
  const hashes = drafts.map(hashEntry);
  // The first draft of each key is the one inserted; later drafts of the same key compare against it.
  const firstIndexByKey = new Map<string, number>();
  drafts.forEach((draft, index) => {
    if (!firstIndexByKey.has(draft.idempotencyKey)) firstIndexByKey.set(draft.idempotencyKey, index);
  });
  // Sorted by key: two transactions inserting overlapping keys wait on each other in the same order.
  const firsts = [...firstIndexByKey.values()]
    .map((index) => ({ draft: present(drafts[index], 'draft'), hash: present(hashes[index], 'hash') }))
    .sort((a, b) => compareText(a.draft.idempotencyKey, b.draft.idempotencyKey));
  const inserted = await runQuery<{ id: string; idempotency_key: string }>(
    manager,
    `INSERT INTO journal_entry (idempotency_key, payload_hash, kind, description)
     SELECT * FROM unnest($1::varchar[], $2::char(64)[], $3::varchar[], $4::text[])
     ON CONFLICT (idempotency_key) DO NOTHING RETURNING id::text AS id, idempotency_key`,
    [
      arrayParameter(firsts.map((first) => first.draft.idempotencyKey)),
      arrayParameter(firsts.map((first) => first.hash)),
      arrayParameter(firsts.map((first) => first.draft.kind)),
      arrayParameter(firsts.map((first) => first.draft.description)),
    ],
  );
  const createdIdByKey = new Map(inserted.records.map((row) => [row.idempotency_key, row.id]));
  const existingByKey = new Map<string, { id: string; payloadHash: string }>();
  const existingKeys = [...firstIndexByKey.keys()].filter((key) => !createdIdByKey.has(key));
  if (existingKeys.length > 0) {
    const existing = await runQuery<{ id: string; idempotency_key: string; payload_hash: string }>(
      manager,
      `SELECT id::text AS id, idempotency_key, payload_hash FROM journal_entry WHERE idempotency_key = ANY($1::varchar[])`,
      [existingKeys],
    );
    for (const row of existing.records) {
      existingByKey.set(row.idempotency_key, { id: row.id, payloadHash: row.payload_hash });
    }
  }
  const postingColumns = {
    entryIds: [] as string[],
    accountIds: [] as string[],
    assets: [] as string[],
    amounts: [] as string[],
  };
  const results = drafts.map((draft, index): PostedEntry | LedgerError => {
    const key = draft.idempotencyKey;
    const createdId = createdIdByKey.get(key);
    if (createdId !== undefined) {
      if (firstIndexByKey.get(key) === index) {
        for (const posting of draft.postings) {
          postingColumns.entryIds.push(createdId);
          postingColumns.accountIds.push(posting.accountId);
          postingColumns.assets.push(posting.asset);
          postingColumns.amounts.push(amountText(posting.amount));
        }
        return { journalEntryId: createdId, created: true };
      }
      return hashes[index] === hashes[present(firstIndexByKey.get(key), 'first index')]
        ? { journalEntryId: createdId, created: false }
        : reused(key);
    }
    const existing = existingByKey.get(key);
    if (existing === undefined) throw new Error(`journal entry ${key} conflicted but cannot be read back`);
    return existing.payloadHash === hashes[index] ? { journalEntryId: existing.id, created: false } : reused(key);
  });
  if (postingColumns.entryIds.length > 0) {
    await runQuery(
      manager,
      `INSERT INTO posting (journal_entry_id, account_id, asset, amount)
       SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::varchar[], $4::numeric[])`,
      [
        arrayParameter(postingColumns.entryIds),
        arrayParameter(postingColumns.accountIds),
        arrayParameter(postingColumns.assets),
        arrayParameter(postingColumns.amounts),
      ],
    );
  }
  return results;
}

function reused(key: string): LedgerError {
  return new LedgerError('IDEMPOTENCY_KEY_REUSED', `key ${key} was used for a different entry`);
}

/** Code-unit order, as the hash uses: the same on every machine, whatever its locale. */
function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** An amount as numeric(38,18) text; refused (LedgerError) rather than rounded by PostgreSQL. */
export function amountText(amount: Decimal): string {
  if (!amount.isFinite() || amount.abs().gte(AMOUNT_MAGNITUDE_LIMIT) || amount.decimalPlaces() > AMOUNT_SCALE_MAX) {
    throw new LedgerError('UNBALANCED_ENTRY', `posting amount ${amount.toString()} does not fit numeric(38,18)`);
  }
  return amount.toFixed();
}
