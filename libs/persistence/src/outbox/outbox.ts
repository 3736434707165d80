import type { DataSource, EntityManager } from 'typeorm';
import type { OutboxEventKind, OutboxEventStatus } from './outbox-event.entity.js';

/** Most events one dispatch claims: bounds the transaction that holds their row locks across Redis calls. */
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

/**
 * Claims up to `limit` pending events (oldest first) with FOR UPDATE SKIP LOCKED, hands them to `enqueue`
 * while their rows stay locked, then marks them enqueued, all in one transaction. Two dispatchers never
 * claim the same event; if `enqueue` throws or the process dies before commit, the events stay pending
 * and are dispatched again (the queue must deduplicate by event id). Events `enqueue` returns as
 * rejected are marked failed instead. Returns the events claimed.
 */
export async function dispatchPendingOutboxEvents(
  dataSource: DataSource,
  options: { readonly limit: number; readonly nowEpochMs: number },
  enqueue: (events: readonly ClaimedOutboxEvent[]) => Promise<readonly OutboxRejection[]>,
): Promise<readonly ClaimedOutboxEvent[]> {
  assertLimit(options.limit);
  assertEpochMs(options.nowEpochMs, 'nowEpochMs');
  return dataSource.transaction('READ COMMITTED', async (manager) => {
    const rows: { id: string; kind: OutboxEventKind; payload: unknown; attempts: number }[] = await manager.query(
      `SELECT id::text AS id, kind, payload, attempts FROM outbox_event
        WHERE status = 'pending' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [options.limit],
    );
    if (rows.length === 0) return [];
    const rejections = await enqueue(rows);
    for (const rejection of rejections) {
      await manager.query(`UPDATE outbox_event SET status = 'failed', last_error = $2 WHERE id = $1`, [
        rejection.id,
        rejection.reason.slice(0, LAST_ERROR_LENGTH_MAX),
      ]);
    }
    await manager.query(
      `UPDATE outbox_event SET status = 'enqueued', enqueued_at = $2, attempts = attempts + 1
        WHERE id = ANY($1::bigint[]) AND status = 'pending'`,
      [rows.map((row) => row.id), new Date(options.nowEpochMs)],
    );
    return rows;
  });
}

/**
 * Marks an event done (its work is complete). True if this call moved it; false if it was done already.
 * Waits for a dispatcher still holding the row, so a job finishing before its dispatch committed is
 * still recorded as done.
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
 * dispatched `dispatchAttemptsMax` times. Returns the new status, or null if the event was no longer
 * enqueued (done meanwhile: nothing to do).
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
  const rows = (await manager.query(
    `UPDATE outbox_event
        SET status = CASE WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END, last_error = $2
      WHERE id = $1 AND status = 'enqueued' RETURNING status`,
    [eventId, options.reason.slice(0, LAST_ERROR_LENGTH_MAX), options.dispatchAttemptsMax],
  )) as [{ status: 'pending' | 'failed' }[], number];
  return rows[0][0]?.status ?? null;
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
