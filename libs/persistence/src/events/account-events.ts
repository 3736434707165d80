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
const XACT_ID = /^(0|[1-9][0-9]{0,19})$/;
const XACT_ID_MAX = 18_446_744_073_709_551_615n;
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
  /** The recording transaction's id (xid8 as text): catch-up order is (xactId, id). */
  readonly xactId: string;
  /**
   * The oldest transaction still running when the event was recorded (xid8 as text): every event of a
   * transaction below it committed before this one was recorded, so a reader that has seen this event
   * live has seen all of those. The resume point of a live event (AccountEventPosition with id '0').
   */
  readonly horizon: string;
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
  /** StoredAccountEvent.horizon of the event. */
  readonly horizon: string;
}

/**
 * Where a reader of a firm's events stands, in catch-up order (xactId, id): every event before it has been
 * read. An event's own position is (its xactId, its id); a live event's resume point is (its horizon, '0').
 */
export interface AccountEventPosition {
  readonly xactId: string;
  readonly id: string;
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
  const payload = validatedPayload(draft);
  // Inserted and, for a firm's account, announced in one statement (house accounts belong to no firm:
  // nobody subscribes to them). The notification is the AccountEventNotification JSON.
  const inserted: { id: string }[] = await manager.query(
    `WITH inserted AS (
       INSERT INTO account_event (account_id, member_firm_id, kind, dedupe_key, payload)
       SELECT account.id, account.member_firm_id, $2, $3, $4::jsonb FROM account WHERE account.id = $1
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING id, member_firm_id, horizon)
     SELECT inserted.id::text AS id,
            CASE WHEN inserted.member_firm_id IS NOT NULL THEN pg_notify($5, json_build_object(
              'id', inserted.id::text, 'memberFirmId', inserted.member_firm_id,
              'horizon', inserted.horizon::text)::text) END AS notified
       FROM inserted`,
    [draft.accountId, draft.kind, draft.dedupeKey, payload, ACCOUNT_EVENT_CHANNEL],
  );
  const created = inserted[0];
  if (created !== undefined) {
    return { id: created.id, created: true };
  }
  const [existing] = await existingEvents(manager, [draft]);
  return { id: existing as string, created: false };
}

/** A draft's payload as stored, after every check recordAccountEvent makes of a draft. */
function validatedPayload(draft: AccountEventDraft): string {
  if (!isUuid(draft.accountId)) throw new AccountEventError(`invalid account id ${JSON.stringify(draft.accountId)}`);
  if (!ACCOUNT_EVENT_KINDS.includes(draft.kind)) {
    throw new AccountEventError(`invalid account event kind ${JSON.stringify(draft.kind)}`);
  }
  if (!DEDUPE_KEY.test(draft.dedupeKey))
    throw new AccountEventError(`invalid dedupe key ${JSON.stringify(draft.dedupeKey)}`);
  return serialisePayload(draft.payload);
}

/**
 * The stored ids of drafts whose dedupe key exists already: each must name the same account and kind (a
 * retried change), else the key names another event and the change is refused.
 */
async function existingEvents(manager: EntityManager, drafts: readonly AccountEventDraft[]): Promise<string[]> {
  const rows: { id: string; account_id: string; kind: AccountEventKind; dedupe_key: string }[] = await manager.query(
    `SELECT id::text AS id, account_id, kind, dedupe_key FROM account_event WHERE dedupe_key = ANY($1::text[])`,
    [drafts.map((draft) => draft.dedupeKey)],
  );
  const byKey = new Map(rows.map((row) => [row.dedupe_key, row]));
  return drafts.map((draft) => {
    const row = byKey.get(draft.dedupeKey);
    if (row === undefined) throw new AccountEventError(`account ${draft.accountId} not found`);
    if (row.account_id !== draft.accountId || row.kind !== draft.kind) {
      throw new AccountEventError(`dedupe key ${draft.dedupeKey} already names another account event`);
    }
    return row.id;
  });
}

/** Most events one recordAccountEvents call records: bounds the statement's arrays. */
export const ACCOUNT_EVENTS_PER_CALL_MAX = 5_000;

/**
 * recordAccountEvent for many events, in one statement: inserted in the order given (ids ascending) and
 * announced per event exactly as one by one, a key recorded before checked as recordAccountEvent checks it.
 * Must run inside the transaction that makes the changes.
 */
export async function recordAccountEvents(manager: EntityManager, drafts: readonly AccountEventDraft[]): Promise<void> {
  if (drafts.length === 0) return;
  if (drafts.length > ACCOUNT_EVENTS_PER_CALL_MAX) {
    throw new AccountEventError(`at most ${ACCOUNT_EVENTS_PER_CALL_MAX} account events per call`);
  }
  if (!manager.queryRunner?.isTransactionActive) {
    throw new AccountEventError('recordAccountEvents must run inside the transaction that makes the changes');
  }
  const payloads = drafts.map(validatedPayload);
  const inserted: { dedupe_key: string }[] = await manager.query(
    `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[]) WITH ORDINALITY
         AS input(account_id, kind, dedupe_key, payload, ordinal)
     ), inserted AS (
       INSERT INTO account_event (account_id, member_firm_id, kind, dedupe_key, payload)
       SELECT account.id, account.member_firm_id, input.kind, input.dedupe_key, input.payload
         FROM input JOIN account ON account.id = input.account_id ORDER BY input.ordinal
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING id, member_firm_id, horizon, dedupe_key)
     SELECT inserted.dedupe_key,
            CASE WHEN inserted.member_firm_id IS NOT NULL THEN pg_notify($5, json_build_object(
              'id', inserted.id::text, 'memberFirmId', inserted.member_firm_id,
              'horizon', inserted.horizon::text)::text) END AS notified
       FROM inserted ORDER BY inserted.id`,
    [
      drafts.map((draft) => draft.accountId),
      drafts.map((draft) => draft.kind),
      drafts.map((draft) => draft.dedupeKey),
      payloads,
      ACCOUNT_EVENT_CHANNEL,
    ],
  );
  if (inserted.length === drafts.length) return;
  const created = new Set(inserted.map((row) => row.dedupe_key));
  await existingEvents(
    manager,
    drafts.filter((draft) => !created.has(draft.dedupeKey)),
  );
}

interface AccountEventRow {
  id: string;
  xact_id: string;
  horizon: string;
  account_id: string;
  member_firm_id: string | null;
  kind: AccountEventKind;
  dedupe_key: string;
  payload: Record<string, unknown>;
  created_at: Date;
}

const SELECT_EVENT = `SELECT id::text AS id, xact_id::text AS xact_id, horizon::text AS horizon, account_id,
       member_firm_id, kind, dedupe_key, payload, created_at
  FROM account_event`;

function toStored(row: AccountEventRow): StoredAccountEvent {
  return {
    id: row.id,
    xactId: row.xact_id,
    horizon: row.horizon,
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

/** A transaction id (xid8: unsigned 64-bit) and an event id, or '0' for "before any event of it". */
function assertPosition(position: AccountEventPosition): void {
  const xactId = typeof position.xactId === 'string' && XACT_ID.test(position.xactId);
  const id = position.id === '0' || (typeof position.id === 'string' && EVENT_ID.test(position.id));
  if (!xactId || !id || BigInt(position.xactId) > XACT_ID_MAX) {
    throw new AccountEventError(`invalid cursor ${JSON.stringify(position)}`);
  }
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

/**
 * The catch-up position of "now": every event of a transaction below the current snapshot's xmin has been
 * recorded already (those transactions have ended). A reader that starts following live events here and
 * later catches up from it misses nothing recorded after it started.
 */
export async function currentAccountEventPosition(manager: EntityManager): Promise<AccountEventPosition> {
  const elsewhere = await otherDatabaseXids(manager);
  const rows: { xmin: string }[] = await manager.query(
    `${withEventHorizon(1)} SELECT xid::text AS xmin FROM event_horizon`,
    [elsewhere],
  );
  return { xactId: rows[0]?.xmin ?? '0', id: '0' };
}

/**
 * The (32-bit) ids of transactions running in other databases of the server, read BEFORE the snapshot
 * that lists events: any of them still in that snapshot is certainly not one of ours. One that starts in
 * between is kept in the horizon (conservative): it can only hold back events recorded after this read.
 */
async function otherDatabaseXids(manager: EntityManager): Promise<string[]> {
  const rows: { xids: string[] | null }[] = await manager.query(
    `SELECT array_agg(backend_xid::text) AS xids FROM pg_stat_activity
      WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()`,
  );
  return rows[0]?.xids ?? [];
}

/**
 * `event_horizon.xid`: the oldest transaction of THIS database still running in the statement's snapshot
 * (its xmax when none): every event of a transaction below it is final. The snapshot's own xmin would do,
 * but it is cluster-wide, so a long write in another database on the same server would hold catch-up
 * back; a transaction of another database cannot record our events, so the ones named by parameter
 * `$<n>` (otherDatabaseXids, compared on the 32-bit xid pg_stat_activity shows) are left out.
 */
const withEventHorizon = (parameter: number): string => `WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s),
  event_horizon AS MATERIALIZED (
    SELECT coalesce(
      (SELECT min(x) FROM snap, pg_snapshot_xip(snap.s) AS x
        WHERE (x::text::numeric % 4294967296) <> ALL ($${parameter}::numeric[])),
      (SELECT pg_snapshot_xmax(s) FROM snap)) AS xid)`;

/** The highest event id recorded so far ('0' when none). */
export async function latestAccountEventId(manager: EntityManager): Promise<string> {
  const rows: { id: string }[] = await manager.query(`SELECT coalesce(max(id), 0)::text AS id FROM account_event`);
  return rows[0]?.id ?? '0';
}

export interface AccountEventPageQuery {
  readonly memberFirmId: string;
  /** Only this account's events (the caller checks the account belongs to the firm). */
  readonly accountId?: string;
  /** Only events after this position in catch-up order (exclusive); from the first when absent. */
  readonly after?: AccountEventPosition;
  /** 1..ACCOUNT_EVENT_PAGE_SIZE_MAX. */
  readonly limit: number;
}

/**
 * A firm's events after a position, in catch-up order (xactId, id), for catch-up after a reconnect. Only
 * events of transactions below the event horizon are returned (withEventHorizon: the oldest transaction
 * of this database still running): those transactions have all ended, so no event can later appear before the last one returned (an id-ordered read could miss a
 * transaction that took a lower id and committed later). An event of a transaction still running, or of
 * one that committed after an older one still running, is returned by a later read once that has ended.
 */
export async function listAccountEvents(
  manager: EntityManager,
  query: AccountEventPageQuery,
): Promise<readonly StoredAccountEvent[]> {
  if (!isUuid(query.memberFirmId)) throw new AccountEventError('invalid member firm id');
  if (query.accountId !== undefined && !isUuid(query.accountId)) throw new AccountEventError('invalid account id');
  if (query.after !== undefined) assertPosition(query.after);
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > ACCOUNT_EVENT_PAGE_SIZE_MAX) {
    throw new AccountEventError(`limit must be an integer in [1, ${ACCOUNT_EVENT_PAGE_SIZE_MAX}]`);
  }
  const elsewhere = await otherDatabaseXids(manager);
  const rows: AccountEventRow[] = await manager.query(
    `${withEventHorizon(6)}
     ${SELECT_EVENT}, event_horizon
      WHERE member_firm_id = $1 AND ($2::uuid IS NULL OR account_id = $2)
        AND (xact_id, id) > ($3::xid8, $4::bigint)
        AND xact_id < event_horizon.xid
      ORDER BY xact_id, id LIMIT $5`,
    [
      query.memberFirmId,
      query.accountId ?? null,
      query.after?.xactId ?? '0',
      query.after?.id ?? '0',
      query.limit,
      elsewhere,
    ],
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
