import type { EntityManager } from 'typeorm';
import { isUuid } from '../margin/transaction.js';
import type { AccountEventKind } from './account-event.entity.js';
import { ACCOUNT_EVENT_KINDS } from './account-event.entity.js';

export type { AccountEventKind } from './account-event.entity.js';

/** The PostgreSQL NOTIFY channel announcing committed account events (payload: {"id","memberFirmId"}). */
export const ACCOUNT_EVENT_CHANNEL = 'account_event';

/** Largest serialised payload: events are small facts, not documents (and NOTIFY carries only the id). */
export const ACCOUNT_EVENT_PAYLOAD_BYTES_MAX = 16_384;

/** Most events one page (catch-up query) or one retention batch touches. */
export const ACCOUNT_EVENT_PAGE_SIZE_MAX = 500;
export const ACCOUNT_EVENT_RETENTION_BATCH_MAX = 10_000;

/** Deepest nesting a payload may have (objects and arrays). */
const PAYLOAD_DEPTH_MAX = 4;

const DEDUPE_KEY = /^[A-Za-z0-9_.:-]{1,200}$/;
const EVENT_ID = /^[1-9][0-9]{0,18}$/;
const DAY_MS = 86_400_000;

export interface AccountEventDraft {
  readonly accountId: string;
  readonly kind: AccountEventKind;
  readonly dedupeKey: string;
  /**
   * Leaves are strings (Decimals via toFixed(), times ISO-8601), booleans, null or safe integers
   * (counts, step numbers): never a money amount as a JS number.
   */
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface StoredAccountEvent {
  readonly id: string;
  readonly accountId: string;
  readonly memberFirmId: string | null;
  readonly kind: AccountEventKind;
  readonly dedupeKey: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
}

/** What NOTIFY carries: enough to route, the reader loads the row. */
export interface AccountEventNotification {
  readonly id: string;
  readonly memberFirmId: string;
}

export class AccountEventError extends Error {
  override readonly name = 'AccountEventError';
}

function assertPayloadLeaves(value: unknown, path: string, depth: number): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return;
    throw new AccountEventError(`payload ${path} is a non-integer number: send amounts as strings`);
  }
  if (typeof value === 'object' && depth < PAYLOAD_DEPTH_MAX) {
    const entries = Array.isArray(value) ? value.entries() : Object.entries(value);
    for (const [key, child] of entries) assertPayloadLeaves(child, `${path}.${String(key)}`, depth + 1);
    return;
  }
  throw new AccountEventError(`payload ${path} must be a string, boolean, null, safe integer, object or array`);
}

function serialisePayload(payload: Readonly<Record<string, unknown>>): string {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new AccountEventError('payload must be an object');
  }
  assertPayloadLeaves(payload, 'payload', 0);
  const text = JSON.stringify(payload);
  if (Buffer.byteLength(text, 'utf8') > ACCOUNT_EVENT_PAYLOAD_BYTES_MAX) {
    throw new AccountEventError(`payload exceeds ${ACCOUNT_EVENT_PAYLOAD_BYTES_MAX} bytes`);
  }
  return text;
}

/**
 * Records an account event. Call it INSIDE the transaction that makes the change; throws if no transaction
 * is active. Idempotent by dedupeKey: recording the same key again returns the first event with
 * `created: false` (and throws if that event names another account or kind: two facts sharing a key is a
 * bug). A new event is announced with pg_notify, which PostgreSQL delivers only at commit, so a rolled-back
 * change announces nothing.
 */
export async function recordAccountEvent(
  manager: EntityManager,
  draft: AccountEventDraft,
): Promise<{ id: string; created: boolean }> {
  if (!manager.queryRunner?.isTransactionActive) {
    throw new AccountEventError('recordAccountEvent must run inside the transaction that makes the change');
  }
  if (!isUuid(draft.accountId)) throw new AccountEventError(`invalid account id ${JSON.stringify(draft.accountId)}`);
  if (!ACCOUNT_EVENT_KINDS.includes(draft.kind)) {
    throw new AccountEventError(`invalid account event kind ${JSON.stringify(draft.kind)}`);
  }
  if (!DEDUPE_KEY.test(draft.dedupeKey))
    throw new AccountEventError(`invalid dedupe key ${JSON.stringify(draft.dedupeKey)}`);
  const payload = serialisePayload(draft.payload);
  const inserted: { id: string; member_firm_id: string | null }[] = await manager.query(
    `INSERT INTO account_event (account_id, member_firm_id, kind, dedupe_key, payload)
     SELECT account.id, account.member_firm_id, $2, $3, $4::jsonb FROM account WHERE account.id = $1
     ON CONFLICT (dedupe_key) DO NOTHING
     RETURNING id::text AS id, member_firm_id`,
    [draft.accountId, draft.kind, draft.dedupeKey, payload],
  );
  const created = inserted[0];
  if (created !== undefined) {
    // House accounts belong to no firm: nobody subscribes to them, so nothing to announce.
    if (created.member_firm_id !== null) {
      const notification: AccountEventNotification = { id: created.id, memberFirmId: created.member_firm_id };
      await manager.query('SELECT pg_notify($1, $2)', [ACCOUNT_EVENT_CHANNEL, JSON.stringify(notification)]);
    }
    return { id: created.id, created: true };
  }
  const existing: { id: string; account_id: string; kind: AccountEventKind }[] = await manager.query(
    `SELECT id::text AS id, account_id, kind FROM account_event WHERE dedupe_key = $1`,
    [draft.dedupeKey],
  );
  const row = existing[0];
  if (row === undefined) throw new AccountEventError(`account ${draft.accountId} not found`);
  if (row.account_id !== draft.accountId || row.kind !== draft.kind) {
    throw new AccountEventError(`dedupe key ${draft.dedupeKey} already names another account event`);
  }
  return { id: row.id, created: false };
}

interface AccountEventRow {
  id: string;
  account_id: string;
  member_firm_id: string | null;
  kind: AccountEventKind;
  dedupe_key: string;
  payload: Record<string, unknown>;
  created_at: Date;
}

const SELECT_EVENT = `SELECT id::text AS id, account_id, member_firm_id, kind, dedupe_key, payload, created_at
  FROM account_event`;

function toStored(row: AccountEventRow): StoredAccountEvent {
  return {
    id: row.id,
    accountId: row.account_id,
    memberFirmId: row.member_firm_id,
    kind: row.kind,
    dedupeKey: row.dedupe_key,
    payload: row.payload,
    createdAt: new Date(row.created_at),
  };
}

function assertEventId(id: string, field: string): void {
  if (!EVENT_ID.test(id)) throw new AccountEventError(`invalid ${field} ${JSON.stringify(id)}`);
}

/** One event by id, or null. */
export async function loadAccountEvent(manager: EntityManager, id: string): Promise<StoredAccountEvent | null> {
  assertEventId(id, 'account event id');
  const rows: AccountEventRow[] = await manager.query(`${SELECT_EVENT} WHERE id = $1`, [id]);
  const row = rows[0];
  return row === undefined ? null : toStored(row);
}

/** Events by id (at most ACCOUNT_EVENT_PAGE_SIZE_MAX), in id order; missing ids are simply absent. */
export async function loadAccountEvents(
  manager: EntityManager,
  ids: readonly string[],
): Promise<readonly StoredAccountEvent[]> {
  if (ids.length > ACCOUNT_EVENT_PAGE_SIZE_MAX) {
    throw new AccountEventError(`at most ${ACCOUNT_EVENT_PAGE_SIZE_MAX} ids per load`);
  }
  for (const id of ids) assertEventId(id, 'account event id');
  if (ids.length === 0) return [];
  const rows: AccountEventRow[] = await manager.query(`${SELECT_EVENT} WHERE id = ANY($1::bigint[]) ORDER BY id`, [
    ids,
  ]);
  return rows.map(toStored);
}

/** The highest event id recorded so far ('0' when none): where a reader starts following. */
export async function latestAccountEventId(manager: EntityManager): Promise<string> {
  const rows: { id: string }[] = await manager.query(`SELECT coalesce(max(id), 0)::text AS id FROM account_event`);
  return rows[0]?.id ?? '0';
}

export interface AccountEventPageQuery {
  readonly memberFirmId: string;
  /** Only this account's events (the caller checks the account belongs to the firm). */
  readonly accountId?: string;
  /** Only events with a larger id (exclusive cursor). */
  readonly afterId?: string;
  /** 1..ACCOUNT_EVENT_PAGE_SIZE_MAX. */
  readonly limit: number;
}

/** A firm's events in id order (the order they committed their ids), for catch-up after a reconnect. */
export async function listAccountEvents(
  manager: EntityManager,
  query: AccountEventPageQuery,
): Promise<readonly StoredAccountEvent[]> {
  if (!isUuid(query.memberFirmId)) throw new AccountEventError('invalid member firm id');
  if (query.accountId !== undefined && !isUuid(query.accountId)) throw new AccountEventError('invalid account id');
  if (query.afterId !== undefined) assertEventId(query.afterId, 'cursor');
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > ACCOUNT_EVENT_PAGE_SIZE_MAX) {
    throw new AccountEventError(`limit must be an integer in [1, ${ACCOUNT_EVENT_PAGE_SIZE_MAX}]`);
  }
  const rows: AccountEventRow[] = await manager.query(
    `${SELECT_EVENT}
      WHERE member_firm_id = $1 AND ($2::uuid IS NULL OR account_id = $2) AND id > $3
      ORDER BY id LIMIT $4`,
    [query.memberFirmId, query.accountId ?? null, query.afterId ?? '0', query.limit],
  );
  return rows.map(toStored);
}

/**
 * Retention: deletes up to `batchSizeMax` events older than `retentionDays` before `nowEpochMs`, oldest
 * first; returns how many it deleted (run it again while it returns batchSizeMax). Bounded, so one run
 * never holds a long transaction or a huge lock set.
 */
export async function deleteExpiredAccountEvents(
  manager: EntityManager,
  options: { readonly nowEpochMs: number; readonly retentionDays: number; readonly batchSizeMax: number },
): Promise<number> {
  if (!Number.isSafeInteger(options.nowEpochMs) || options.nowEpochMs < 0) {
    throw new AccountEventError('nowEpochMs must be a non-negative integer');
  }
  if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1 || options.retentionDays > 36_500) {
    throw new AccountEventError('retentionDays must be an integer in [1, 36500]');
  }
  const batch = options.batchSizeMax;
  if (!Number.isInteger(batch) || batch < 1 || batch > ACCOUNT_EVENT_RETENTION_BATCH_MAX) {
    throw new AccountEventError(`batchSizeMax must be an integer in [1, ${ACCOUNT_EVENT_RETENTION_BATCH_MAX}]`);
  }
  const cutoff = new Date(options.nowEpochMs - options.retentionDays * DAY_MS);
  // Ids grow with time, so walking the primary key from the oldest finds the expired rows without an index
  // on created_at.
  const [, affected] = (await manager.query(
    `DELETE FROM account_event WHERE id IN (
       SELECT id FROM account_event WHERE created_at < $1 ORDER BY id LIMIT $2)`,
    [cutoff, batch],
  )) as [unknown, number];
  return affected;
}
