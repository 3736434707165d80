import type { DataSource, EntityManager } from 'typeorm';
import { queryPreparedAutocommit, type PreparedStatement } from '../market-data/prepared-statement.js';
import type { OutboxEventKind, OutboxEventStatus } from './outbox-event.entity.js';

/** Most events one dispatch claims: bounds the claim statement and the one addBulk that follows it. */
export const OUTBOX_CLAIM_BATCH_MAX = 1_000;

/** Longest stored error text (a job's failure reason can be a whole stack). */
const LAST_ERROR_LENGTH_MAX = 2_000;

const DEDUPE_KEY = /^[A-Za-z0-9_.:-]{1,200}$/;
const EVENT_ID = /^[1-9][0-9]{0,18}$/;

export interface OutboxEventDraft {
  readonly kind: OutboxEventKind;
  /** Names the decision: recording the same key again is a no-op (1..200 of [A-Za-z0-9_.:-]). */
  readonly dedupeKey: string;
  readonly payload: unknown;
}

export interface RecordedOutboxEvent {
  readonly id: string;
  /** False when an event with the same dedupe key existed already. */
  readonly created: boolean;
}

export interface ClaimedOutboxEvent {
  readonly id: string;
  readonly kind: OutboxEventKind;
  readonly payload: unknown;
  /** Dispatches before this one. */
  readonly attempts: number;
}

/** An event the dispatcher refuses to enqueue (e.g. a payload no processor accepts): marked failed. */
export interface OutboxRejection {
  readonly id: string;
  readonly reason: string;
}

export interface StaleOutboxEvent {
  readonly id: string;
  readonly kind: OutboxEventKind;
  readonly attempts: number;
  readonly enqueuedAt: Date;
}

export class OutboxError extends Error {
  override readonly name = 'OutboxError';
}

function assertEventId(id: string): void {
  if (!EVENT_ID.test(id)) throw new OutboxError(`invalid outbox event id ${JSON.stringify(id)}`);
}

function assertLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > OUTBOX_CLAIM_BATCH_MAX) {
    throw new OutboxError(`limit must be an integer in [1, ${OUTBOX_CLAIM_BATCH_MAX}]`);
  }
}

function assertEpochMs(epochMs: number, field: string): void {
  if (!Number.isSafeInteger(epochMs) || epochMs < 0) throw new OutboxError(`${field} must be a non-negative integer`);
}

/**
 * Records a decision. Call it INSIDE the transaction that makes the decision, so the decision and its
 * event commit (or roll back) together. Idempotent by dedupe key (ON CONFLICT DO NOTHING).
 */
export async function recordOutboxEvent(manager: EntityManager, draft: OutboxEventDraft): Promise<RecordedOutboxEvent> {
  if (!manager.queryRunner?.isTransactionActive) {
    throw new OutboxError('recordOutboxEvent must run inside the transaction that makes the decision');
  }
  if (!DEDUPE_KEY.test(draft.dedupeKey)) throw new OutboxError(`invalid dedupe key ${JSON.stringify(draft.dedupeKey)}`);
  const inserted: { id: string }[] = await manager.query(
    `INSERT INTO outbox_event (kind, dedupe_key, payload) VALUES ($1, $2, $3::jsonb)
     ON CONFLICT (dedupe_key) DO NOTHING RETURNING id::text AS id`,
    [draft.kind, draft.dedupeKey, JSON.stringify(draft.payload)],
  );
  const created = inserted[0];
  if (created !== undefined) return { id: created.id, created: true };
  const existing: { id: string }[] = await manager.query(
    `SELECT id::text AS id FROM outbox_event WHERE dedupe_key = $1`,
    [draft.dedupeKey],
  );
  const row = existing[0];
  if (row === undefined) throw new OutboxError(`outbox event ${draft.dedupeKey} neither inserted nor found`);
  return { id: row.id, created: false };
}

interface ClaimedRow {
  readonly id: string;
  readonly kind: OutboxEventKind;
  readonly payload: unknown;
  readonly attempts: number;
}

/**
 * $1 limit, $2 enqueued_at. The claim is materialized once: as `id IN (subquery)` the planner may rescan
 * the LIMIT with SKIP LOCKED, which then skips the rows this very statement has just updated and claims
 * more than `limit`.
 *
 * Its commit is asynchronous (synchronous_commit off for this one statement's transaction, set by
 * set_config(..., true) in a materialized CTE the UPDATE joins, so it runs first): the dispatcher does not
 * wait for the WAL flush, 0.4-1.3 ms on this machine, before it adds the jobs. Losing a claim is harmless:
 * a crash that takes it back leaves the events pending and they are dispatched again, deduplicated by job
 * id; and the synchronous commit that later marks an event done flushes the WAL up to it, claim included.
 * Nothing else is weakened: the decision itself was committed synchronously by the publishing transaction.
 */
const CLAIM_PENDING: PreparedStatement = {
  name: 'novation_outbox_claim_pending',
  text: `WITH asynchronous_commit AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true) AS setting),
          claimable AS MATERIALIZED (
            SELECT id FROM outbox_event WHERE status = 'pending' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
     UPDATE outbox_event SET status = 'enqueued', enqueued_at = $2, attempts = attempts + 1
       FROM claimable, asynchronous_commit
      WHERE outbox_event.id = claimable.id AND asynchronous_commit.setting = 'off'
     RETURNING outbox_event.id::text AS id, kind, payload, attempts - 1 AS attempts`,
};

/**
 * Claims up to `limit` pending events (oldest first) and hands them to `enqueue`. The claim is ONE
 * statement, committed before `enqueue` runs: it marks the events enqueued (attempts + 1) and returns
 * them, and FOR UPDATE SKIP LOCKED keeps two dispatchers from claiming the same event. So no row lock is
 * held across Redis calls. (A price tick's events usually skip it: see outboxEventsOfNotification.)
 *
 * At least once, never lost: if `enqueue` throws, the events go back to pending (attempts restored) and
 * the next dispatch takes them; if the process dies between the claim and the add, or that put-back fails,
 * the events stay enqueued without a job, and the reconciler (listStaleEnqueuedOutboxEvents) dispatches
 * them again once they are stale. An add that lands after all (a timeout) is deduplicated by job id.
 * Events `enqueue` returns as rejected are marked failed instead (attempts restored: they never reached a
 * queue). Returns the events claimed, in id order.
 */
export async function dispatchPendingOutboxEvents(
  dataSource: DataSource,
  options: { readonly limit: number; readonly nowEpochMs: number },
  enqueue: (events: readonly ClaimedOutboxEvent[]) => Promise<readonly OutboxRejection[]>,
): Promise<readonly ClaimedOutboxEvent[]> {
  assertLimit(options.limit);
  assertEpochMs(options.nowEpochMs, 'nowEpochMs');
  const rows = await queryPreparedAutocommit<ClaimedRow>(dataSource, CLAIM_PENDING, [
    options.limit,
    new Date(options.nowEpochMs),
  ]);
  if (rows.length === 0) return [];
  // RETURNING follows no order: oldest first, as claimed (ids are decimal strings without leading zeros).
  const claimed = rows.sort((a, b) => a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let rejections: readonly OutboxRejection[];
  try {
    rejections = await enqueue(claimed);
  } catch (error) {
    await dataSource
      .query(
        `UPDATE outbox_event SET status = 'pending', attempts = greatest(attempts - 1, 0)
          WHERE id = ANY($1::bigint[]) AND status = 'enqueued'`,
        [claimed.map((event) => event.id)],
      )
      // Left enqueued, the events are the reconciler's once stale: the enqueue error is the one to report.
      .catch(() => undefined);
    throw error;
  }
  if (rejections.length > 0) {
    await dataSource.query(
      `UPDATE outbox_event SET status = 'failed', last_error = rejection.reason, attempts = greatest(attempts - 1, 0)
         FROM unnest($1::bigint[], $2::text[]) AS rejection (id, reason)
        WHERE outbox_event.id = rejection.id AND outbox_event.status = 'enqueued'`,
      [
        rejections.map((rejection) => rejection.id),
        rejections.map((rejection) => rejection.reason.slice(0, LAST_ERROR_LENGTH_MAX)),
      ],
    );
  }
  return claimed;
}

/**
 * The events a wake-up on channel `outbox_event` announces (migration 1795830000000-OutboxEventsInWakeUp):
 * the ones its statement recorded, in id order, or null when it names none to take from it (an empty
 * payload: too many or too large, or not in the expected shape) and the pending events must be claimed.
 */
export function outboxEventsOfNotification(notification: string): readonly ClaimedOutboxEvent[] | null {
  if (notification === '' || notification.length > NOTIFICATION_LENGTH_MAX) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(notification);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return null;
  const events: ClaimedOutboxEvent[] = [];
  for (const item of parsed as unknown[]) {
    if (typeof item !== 'object' || item === null) return null;
    const { id, kind, payload, attempts } = item as Record<string, unknown>;
    if (typeof id !== 'string' || !EVENT_ID.test(id)) return null;
    if (kind !== 'margin-check' && kind !== 'liquidation') return null;
    if (typeof attempts !== 'number' || !Number.isSafeInteger(attempts) || attempts < 0) return null;
    events.push({ id, kind, payload, attempts });
  }
  return events;
}

/** PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more: a longer string came from somewhere else. */
const NOTIFICATION_LENGTH_MAX = 8_000;

/**
 * Marks enqueued the events a dispatcher added to their queue straight from their wake-up, without a
 * claim. Only pending ones: an event a claiming dispatcher took meanwhile, or whose job already finished,
 * is left as it is. Asynchronous commit, as the claim's (CLAIM_PENDING): an update lost to a crash leaves
 * the event pending, and its next dispatch is deduplicated by job id. Returns the ids this call moved.
 */
export async function markOutboxEventsEnqueued(
  dataSource: DataSource,
  eventIds: readonly string[],
  nowEpochMs: number,
): Promise<readonly string[]> {
  eventIds.forEach(assertEventId);
  assertEpochMs(nowEpochMs, 'nowEpochMs');
  if (eventIds.length === 0) return [];
  if (eventIds.length > OUTBOX_CLAIM_BATCH_MAX) {
    throw new OutboxError(`more than ${OUTBOX_CLAIM_BATCH_MAX} events to mark enqueued at once`);
  }
  const rows = await queryPreparedAutocommit<{ id: string }>(dataSource, MARK_ENQUEUED, [
    [...eventIds],
    new Date(nowEpochMs),
  ]);
  return rows.map((row) => row.id);
}

/** $1 event ids, $2 enqueued_at. */
const MARK_ENQUEUED: PreparedStatement = {
  name: 'novation_outbox_mark_enqueued',
  text: `WITH asynchronous_commit AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true) AS setting)
     UPDATE outbox_event SET status = 'enqueued', enqueued_at = $2, attempts = attempts + 1
       FROM asynchronous_commit
      WHERE outbox_event.id = ANY($1::bigint[]) AND outbox_event.status = 'pending'
        AND asynchronous_commit.setting = 'off'
     RETURNING outbox_event.id::text AS id`,
};

/**
 * Marks an event done (its work is complete), from any status: a job that finishes after its event was put
 * back to pending or failed, or before a dispatch from the wake-up marked it enqueued, still records the
 * work, and done is final (the later marks only move pending or enqueued events). True if this call moved
 * it; false if it was done already.
 */
export async function markOutboxEventDone(
  manager: EntityManager,
  eventId: string,
  nowEpochMs: number,
): Promise<boolean> {
  assertEventId(eventId);
  assertEpochMs(nowEpochMs, 'nowEpochMs');
  const [, affected] = (await manager.query(
    `UPDATE outbox_event SET status = 'done', done_at = $2, last_error = NULL WHERE id = $1 AND status <> 'done'`,
    [eventId, new Date(nowEpochMs)],
  )) as [unknown, number];
  return affected === 1;
}

/** Marks an open event failed for good (e.g. a payload no processor accepts). True if this call moved it. */
export async function markOutboxEventFailed(manager: EntityManager, eventId: string, error: string): Promise<boolean> {
  assertEventId(eventId);
  const [, affected] = (await manager.query(
    `UPDATE outbox_event SET status = 'failed', last_error = $2 WHERE id = $1 AND status IN ('pending', 'enqueued')`,
    [eventId, error.slice(0, LAST_ERROR_LENGTH_MAX)],
  )) as [unknown, number];
  return affected === 1;
}

/** Events enqueued before `enqueuedBeforeEpochMs` and not done: candidates for the reconciler. */
export async function listStaleEnqueuedOutboxEvents(
  manager: EntityManager,
  options: { readonly enqueuedBeforeEpochMs: number; readonly limit: number },
): Promise<readonly StaleOutboxEvent[]> {
  assertLimit(options.limit);
  assertEpochMs(options.enqueuedBeforeEpochMs, 'enqueuedBeforeEpochMs');
  const rows: { id: string; kind: OutboxEventKind; attempts: number; enqueued_at: Date }[] = await manager.query(
    `SELECT id::text AS id, kind, attempts, enqueued_at FROM outbox_event
      WHERE status = 'enqueued' AND enqueued_at < $1 ORDER BY id LIMIT $2`,
    [new Date(options.enqueuedBeforeEpochMs), options.limit],
  );
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    attempts: row.attempts,
    enqueuedAt: new Date(row.enqueued_at),
  }));
}

/**
 * Puts an enqueued event back to pending (its job was lost or gave up), or to failed once it has been
 * dispatched `dispatchAttemptsMax` times. A liquidation event that fails for good fails its liquidation in
 * the same statement: it is no longer stepped (nor claimed by other liquidations' batches), and stays,
 * with its account 'liquidating', for an operator. Returns the new status, or null if the event was no
 * longer enqueued (done meanwhile: nothing to do).
 */
export async function requeueOutboxEvent(
  manager: EntityManager,
  eventId: string,
  options: { readonly reason: string; readonly dispatchAttemptsMax: number },
): Promise<Extract<OutboxEventStatus, 'pending' | 'failed'> | null> {
  assertEventId(eventId);
  if (!Number.isInteger(options.dispatchAttemptsMax) || options.dispatchAttemptsMax < 1) {
    throw new OutboxError('dispatchAttemptsMax must be a positive integer');
  }
  const rows: { status: 'pending' | 'failed' }[] = await manager.query(
    `WITH event AS (
       UPDATE outbox_event
          SET status = CASE WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END, last_error = $2
        WHERE id = $1 AND status = 'enqueued' RETURNING status, kind, payload
     ), given_up AS (
       UPDATE liquidation SET status = 'failed', next_step_at = NULL
         FROM event
        WHERE event.status = 'failed' AND event.kind = 'liquidation'
          AND liquidation.id = (event.payload->>'liquidationId')::uuid AND liquidation.status IN ('pending', 'in_progress')
       RETURNING liquidation.id
     )
     SELECT status FROM event`,
    [eventId, options.reason.slice(0, LAST_ERROR_LENGTH_MAX), options.dispatchAttemptsMax],
  );
  return rows[0]?.status ?? null;
}

/** Open events by status, for the outbox gauge (served by the outbox_event_open index). */
export async function countOpenOutboxEvents(
  manager: EntityManager,
): Promise<{ readonly pending: number; readonly enqueued: number }> {
  const rows: { status: 'pending' | 'enqueued'; count: number }[] = await manager.query(
    `SELECT status, count(*)::int AS count FROM outbox_event WHERE status IN ('pending', 'enqueued') GROUP BY status`,
  );
  const count = (status: 'pending' | 'enqueued') => rows.find((row) => row.status === status)?.count ?? 0;
  return { pending: count('pending'), enqueued: count('enqueued') };
}

/** Most outbox events one retention call deletes: bounds the transaction and its lock set. */
export const OUTBOX_RETENTION_BATCH_MAX = 10_000;

const DAY_MS = 86_400_000;

/**
 * Retention: deletes up to `batchSizeMax` events marked done more than `retentionDays` before
 * `nowEpochMs`, oldest first; returns how many (call again while it returns batchSizeMax). Failed events
 * are never deleted here: they wait for a person (the admin service's failed-jobs report).
 */
export async function deleteDoneOutboxEvents(
  manager: EntityManager,
  options: { readonly nowEpochMs: number; readonly retentionDays: number; readonly batchSizeMax: number },
): Promise<number> {
  assertEpochMs(options.nowEpochMs, 'nowEpochMs');
  if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1 || options.retentionDays > 36_500) {
    throw new OutboxError('retentionDays must be an integer in [1, 36500]');
  }
  const batch = options.batchSizeMax;
  if (!Number.isInteger(batch) || batch < 1 || batch > OUTBOX_RETENTION_BATCH_MAX) {
    throw new OutboxError(`batchSizeMax must be an integer in [1, ${OUTBOX_RETENTION_BATCH_MAX}]`);
  }
  const [, affected] = (await manager.query(
    `DELETE FROM outbox_event WHERE id IN (
       SELECT id FROM outbox_event WHERE status = 'done' AND done_at < $1 ORDER BY id LIMIT $2)`,
    [new Date(options.nowEpochMs - options.retentionDays * DAY_MS), batch],
  )) as [unknown, number];
  return affected;
}
