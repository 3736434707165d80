import { createHash } from 'node:crypto';
import {
  MARGIN_CHECK_ACCOUNTS_PER_JOB_MAX,
  type MarginCheckAccountRange,
  type MarginCheckPayload,
} from '@novation/jobs';
import type { DataSource, EntityManager } from 'typeorm';
import { isUnderlying } from '../market-data/validation.js';
import {
  publishMarketData,
  type MarketDataBatch,
  type MarketDataPolicy,
  type PublishMarketDataResult,
} from '../market-data/publish-marks.js';
import { OutboxError } from './outbox.js';

/**
 * Most margin-check events one trigger records (x 500 accounts = 500,000 accounts). A trigger that
 * would need more is refused loudly rather than recorded partly.
 */
export const MARGIN_CHECK_EVENTS_PER_TRIGGER_MAX = 1_000;

/** Most underlyings one trigger names. */
export const MARGIN_CHECK_UNDERLYINGS_PER_TRIGGER_MAX = 1_000;

const TRIGGER_ID = /^[A-Za-z0-9_.:-]{1,150}$/;

export interface MarginCheckTrigger {
  /** Names the decision (e.g. `<source>-<observedAt>-<hash>`); the dedupe keys derive from it. */
  readonly triggerId: string;
  /** The decision's instant: the accounts are margined as of it. */
  readonly nowEpochMs: number;
}

export interface RecordedMarginChecks {
  /**
   * Accounts covered: exact for the sweep; for a price move, the open positions on its underlyings (an
   * account holding two of the instruments counts twice), which sized the slices.
   */
  readonly accountCount: number;
  /** One per chunk (about 500 accounts), in account id order. */
  readonly eventIds: readonly string[];
  /** Events newly created (0 when the same trigger was recorded before). */
  readonly createdCount: number;
}

/**
 * Records margin-check events for every member account with an open position in an instrument on one of
 * `underlyings`, as contiguous slices of the account-id space of about 500 such accounts each (dedupe key
 * `margin-check-<triggerId>-<slice>`). Call it in the transaction that accepted the prices, so the move
 * and its re-margin commit together.
 */
export async function recordMarginChecksForUnderlyings(
  manager: EntityManager,
  trigger: MarginCheckTrigger & { readonly underlyings: readonly string[] },
): Promise<RecordedMarginChecks> {
  assertTrigger(trigger);
  const underlyings = [...new Set(trigger.underlyings)].sort();
  if (underlyings.length > MARGIN_CHECK_UNDERLYINGS_PER_TRIGGER_MAX) {
    throw new OutboxError(`more than ${MARGIN_CHECK_UNDERLYINGS_PER_TRIGGER_MAX} underlyings in one trigger`);
  }
  underlyings.forEach((underlying) => {
    if (!isUnderlying(underlying)) throw new OutboxError(`invalid underlying ${JSON.stringify(underlying)}`);
  });
  if (underlyings.length === 0) return { accountCount: 0, eventIds: [], createdCount: 0 };
  const instrumentIds = await instrumentIdsOf(manager, underlyings);
  if (instrumentIds.length === 0) return { accountCount: 0, eventIds: [], createdCount: 0 };
  // No account id is read at all: the open positions are counted (an index-only count), and the uuid
  // space is cut into that many / 500 equal slices. Account ids are random (gen_random_uuid), so each
  // slice holds about 500 of the accounts (binomially: 500 +/- 22 for one standard deviation); the job
  // resolves its slice when it runs. An account holding two of the instruments counts twice, so slices
  // only err towards smaller. The decision costs two index-only reads and one insert of a few rows,
  // however many accounts it covers.
  const [counted] = (await manager.query(
    `SELECT count(*)::int AS positions FROM position
      WHERE instrument_id = ANY($1::uuid[]) AND quantity <> 0
        AND account_id <> ALL (ARRAY(SELECT id FROM account WHERE house_role IS NOT NULL))`,
    [instrumentIds],
  )) as { positions: number }[];
  const positions = counted?.positions ?? 0;
  if (positions === 0) return { accountCount: 0, eventIds: [], createdCount: 0 };
  const sliceCount = Math.ceil(positions / MARGIN_CHECK_ACCOUNTS_PER_JOB_MAX);
  if (sliceCount > MARGIN_CHECK_EVENTS_PER_TRIGGER_MAX) {
    throw new OutboxError(`${positions} open positions need more than ${MARGIN_CHECK_EVENTS_PER_TRIGGER_MAX} events`);
  }
  const bounds = uuidSliceBounds(sliceCount);
  const payloads: MarginCheckPayload[] = bounds.map(([accountIdFrom, accountIdBefore]) => ({
    accountRange: { underlyings, accountIdFrom, accountIdBefore },
    nowEpochMs: trigger.nowEpochMs,
  }));
  const recorded = await recordPayloads(manager, trigger, payloads);
  return { ...recorded, accountCount: positions };
}

/**
 * `count` contiguous slices [from, before) covering the whole uuid space in PostgreSQL's uuid order
 * (bytewise, so the 128-bit big-endian number): the first starts at null (the beginning), the last ends
 * at null (the end), and each inner bound is floor(i * 2^128 / count) written as a uuid.
 */
export function uuidSliceBounds(count: number): [string | null, string | null][] {
  if (!Number.isSafeInteger(count) || count < 1) throw new OutboxError('slice count must be a positive integer');
  const space = 1n << 128n;
  const bound = (index: number): string => {
    const hex = ((BigInt(index) * space) / BigInt(count)).toString(16).padStart(32, '0');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
  return Array.from({ length: count }, (_, index) => [
    index === 0 ? null : bound(index),
    index === count - 1 ? null : bound(index + 1),
  ]);
}

/**
 * The member accounts with an open position on `range.underlyings` inside the slice, in id order: what a
 * margin-check job of a price move margins, resolved when it runs.
 */
export async function accountsInMarginCheckRange(
  manager: EntityManager,
  range: MarginCheckAccountRange,
): Promise<string[]> {
  const instrumentIds = await instrumentIdsOf(manager, range.underlyings);
  if (instrumentIds.length === 0) return [];
  const rows: { account_id: string }[] = await manager.query(
    `SELECT account_id FROM (${OPEN_ACCOUNTS_SQL}) accounts
      WHERE ($2::uuid IS NULL OR account_id >= $2::uuid) AND ($3::uuid IS NULL OR account_id < $3::uuid)
      ORDER BY account_id`,
    [instrumentIds, range.accountIdFrom, range.accountIdBefore],
  );
  return rows.map((row) => row.account_id);
}

/**
 * Member accounts with an open position in one of the instruments `$1`. The instrument ids come as a
 * literal array (not a join to instrument) on purpose: the planner then sees how many open positions
 * each has (a ticked underlying is usually a small share) and reads them by an index-only scan of
 * position_open_accounts_by_instrument, where a join would estimate the average instrument and scan every
 * position (125 ms against 7 ms with 10,000 of 100,000 accounts). House accounts are a handful, found by
 * their unique index.
 */
const OPEN_ACCOUNTS_SQL = `SELECT DISTINCT account_id FROM position
  WHERE instrument_id = ANY($1::uuid[]) AND quantity <> 0
    AND account_id <> ALL (ARRAY(SELECT id FROM account WHERE house_role IS NOT NULL))`;

async function instrumentIdsOf(manager: EntityManager, underlyings: readonly string[]): Promise<string[]> {
  const rows: { id: string }[] = await manager.query(
    `SELECT id FROM instrument WHERE underlying = ANY($1::varchar[])`,
    [underlyings],
  );
  return rows.map((row) => row.id);
}

/**
 * Records one margin-check event per payload (dedupe key `margin-check-<triggerId>-<index>`) in one
 * statement. Idempotent: an event recorded before keeps its id and payload.
 */
async function recordPayloads(
  manager: EntityManager,
  trigger: MarginCheckTrigger,
  payloads: readonly MarginCheckPayload[],
): Promise<Omit<RecordedMarginChecks, 'accountCount'>> {
  if (!manager.queryRunner?.isTransactionActive) {
    throw new OutboxError('margin checks must be recorded inside the transaction that decides them');
  }
  const keys = payloads.map((_, index) => `margin-check-${trigger.triggerId}-${index}`);
  const rows: { id: string | null; created: boolean }[] = await manager.query(
    `WITH drafts AS (
       SELECT key, payload, ordinality FROM unnest($1::text[], $2::jsonb[]) WITH ORDINALITY AS draft(key, payload, ordinality)),
          inserted AS (
       INSERT INTO outbox_event (kind, dedupe_key, payload)
       SELECT 'margin-check', key, payload FROM drafts ORDER BY ordinality
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING id, dedupe_key)
     SELECT coalesce(inserted.id, existing.id)::text AS id, inserted.id IS NOT NULL AS created
       FROM drafts
       LEFT JOIN inserted ON inserted.dedupe_key = drafts.key
       LEFT JOIN outbox_event existing ON existing.dedupe_key = drafts.key
      ORDER BY drafts.ordinality`,
    [keys, payloads.map((payload) => JSON.stringify(payload))],
  );
  const eventIds = rows.map((row) => {
    if (row.id === null) throw new OutboxError('a margin-check event was neither recorded nor found');
    return row.id;
  });
  return { eventIds, createdCount: rows.filter((row) => row.created).length };
}

/** Records margin-check events for every member account with any open position: the periodic safety net. */
export async function recordMarginChecksForAllAccounts(
  manager: EntityManager,
  trigger: MarginCheckTrigger,
): Promise<RecordedMarginChecks> {
  assertTrigger(trigger);
  return recordChunks(
    manager,
    trigger,
    `SELECT DISTINCT position.account_id
       FROM position JOIN account ON account.id = position.account_id
      WHERE position.quantity <> 0 AND account.kind <> 'house'`,
    [],
  );
}

/**
 * Publishes market data, then records the margin checks of the underlyings whose prices were accepted,
 * keyed by the accepted observation (`<source>-<max observedAt>-<underlyings hash>`).
 *
 * NOTE: two transactions. publishMarketData owns its transaction, so a crash between the two loses the
 * trigger; the periodic sweep re-margins every account anyway. Folding the recording into
 * publishMarketData's transaction closes that gap.
 */
export async function publishMarketDataAndRecordChecks(
  dataSource: DataSource,
  batch: MarketDataBatch,
  policy: MarketDataPolicy,
): Promise<PublishMarketDataResult & { readonly marginChecks: RecordedMarginChecks }> {
  let marginChecks: RecordedMarginChecks = { accountCount: 0, eventIds: [], createdCount: 0 };
  // The checks are recorded inside the publishing transaction: the accepted prices and the decision to
  // re-margin commit together or not at all.
  const published = await publishMarketData(dataSource, batch, policy, {
    onAccepted: async (manager, accepted) => {
      const underlyingsHash = createHash('sha256').update(accepted.underlyings.join(',')).digest('hex').slice(0, 16);
      marginChecks = await recordMarginChecksForUnderlyings(manager, {
        underlyings: accepted.underlyings,
        triggerId: `${batch.source}-${accepted.observedAtMaxEpochMs}-${underlyingsHash}`,
        nowEpochMs: Math.max(accepted.observedAtMaxEpochMs, policy.nowEpochMs),
      });
    },
  });
  return { ...published, marginChecks };
}

function assertTrigger(trigger: MarginCheckTrigger): void {
  if (!TRIGGER_ID.test(trigger.triggerId)) {
    throw new OutboxError(`invalid trigger id ${JSON.stringify(trigger.triggerId)}`);
  }
  if (!Number.isSafeInteger(trigger.nowEpochMs) || trigger.nowEpochMs < 0) {
    throw new OutboxError('nowEpochMs must be a non-negative integer');
  }
}

/**
 * Records the margin-check events of the accounts `accountsSql` selects (one column, `account_id`,
 * distinct; its parameters are `$1..$n` of `parameters`), in chunks of at most 500 accounts by account
 * id, in ONE statement: the account ids never travel to Node and back, and 20 events cost one round trip
 * instead of 20 (the tick-to-enqueue path). Idempotent by dedupe key: an event recorded before keeps its
 * id and payload. Must run inside the deciding transaction (a refusal throws and rolls it all back).
 */
async function recordChunks(
  manager: EntityManager,
  trigger: MarginCheckTrigger,
  accountsSql: string,
  parameters: readonly unknown[],
): Promise<RecordedMarginChecks> {
  if (!manager.queryRunner?.isTransactionActive) {
    throw new OutboxError('margin checks must be recorded inside the transaction that decides them');
  }
  const next = parameters.length;
  const rows: { id: string; accounts: number; created: boolean }[] = await manager.query(
    `WITH accounts AS (${accountsSql}),
          numbered AS (
            SELECT account_id, (row_number() OVER (ORDER BY account_id) - 1) / $${next + 1}::int AS chunk FROM accounts),
          chunks AS (
            SELECT chunk, count(*)::int AS accounts,
                   jsonb_build_object('accountIds', jsonb_agg(account_id ORDER BY account_id),
                                      'nowEpochMs', $${next + 2}::bigint) AS payload
              FROM numbered GROUP BY chunk),
          inserted AS (
            INSERT INTO outbox_event (kind, dedupe_key, payload)
            SELECT 'margin-check', $${next + 3}::text || chunk, payload FROM chunks ORDER BY chunk
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING id, dedupe_key)
     SELECT coalesce(inserted.id, existing.id)::text AS id, chunks.accounts, inserted.id IS NOT NULL AS created
       FROM chunks
       LEFT JOIN inserted ON inserted.dedupe_key = $${next + 3}::text || chunks.chunk
       LEFT JOIN outbox_event existing ON existing.dedupe_key = $${next + 3}::text || chunks.chunk
      ORDER BY chunks.chunk`,
    [...parameters, MARGIN_CHECK_ACCOUNTS_PER_JOB_MAX, trigger.nowEpochMs, `margin-check-${trigger.triggerId}-`],
  );
  if (rows.length > MARGIN_CHECK_EVENTS_PER_TRIGGER_MAX) {
    throw new OutboxError(`the accounts need more than ${MARGIN_CHECK_EVENTS_PER_TRIGGER_MAX} events`);
  }
  const eventIds = rows.map((row) => {
    if (row.id === null) throw new OutboxError('a margin-check event was neither recorded nor found');
    return row.id;
  });
  return {
    accountCount: rows.reduce((sum, row) => sum + row.accounts, 0),
    eventIds,
    createdCount: rows.filter((row) => row.created).length,
  };
}
