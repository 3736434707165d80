import { createHash } from 'node:crypto';
import { MARGIN_CHECK_ACCOUNTS_PER_JOB_MAX, type MarginCheckAccountRange } from '@novation/jobs';
import type { DataSource, EntityManager } from 'typeorm';
import { isUnderlying } from '../market-data/validation.js';
import {
  publishMarketData,
  type MarketDataBatch,
  type MarketDataPolicy,
  type PublishMarketDataResult,
} from '../market-data/publish-marks.js';
import { queryPrepared, type PreparedStatement } from '../market-data/prepared-statement.js';
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
   * account holding two of the instruments counts twice) that sized the slices: exact while each instrument
   * has fewer than MARGIN_CHECK_SAMPLE_POSITIONS_PER_INSTRUMENT, an unbiased estimate above.
   */
  readonly accountCount: number;
  /** One per chunk (about 500 accounts), in account id order. */
  readonly eventIds: readonly string[];
  /** Events newly created (0 when the same trigger was recorded before). */
  readonly createdCount: number;
}

/**
 * Positions sampled per instrument to size the slices of a price move: up to this many, the count is
 * exact; above it, the estimate's relative standard deviation is 1 / sqrt(sample - 2), about 3%.
 */
export const MARGIN_CHECK_SAMPLE_POSITIONS_PER_INSTRUMENT = 1_000;

/**
 * Records margin-check events for every member account with an open position in an instrument on one of
 * `underlyings`, as contiguous slices of the account-id space of about 500 such accounts each (dedupe key
 * `margin-check-<triggerId>-<slice>`, bounds as uuidSliceBounds). Call it in the transaction that accepted
 * the prices, so the move and its re-margin commit together.
 *
 * No account id leaves PostgreSQL and the holders are not counted one by one: the uuid space is cut into
 * (open positions / 500) equal slices, and the job resolves its slice when it runs. Account ids are random
 * (gen_random_uuid), so each slice holds about 500 of the accounts (binomially: 500 +/- 22 for one standard
 * deviation, plus the estimate's 3% above 1,000 positions in an instrument). An account holding two of the
 * instruments counts twice, which errs towards smaller slices.
 *
 * The open positions come from the first K = MARGIN_CHECK_SAMPLE_POSITIONS_PER_INSTRUMENT account ids of
 * each instrument in uuid order, an ordered read of position_open_accounts_by_instrument that stops after
 * K: fewer than K is the exact count; otherwise, ids being uniform on the uuid space, the K-th smallest as
 * a fraction u_K of the space is the K-th order statistic of n uniforms and (K - 1) / u_K is an unbiased
 * estimate of n. So the decision reads at most K index entries per instrument (10,000 holders: 1,000
 * instead of 10,000, never more than counting them all), and sizing, slicing and recording are ONE
 * statement, one round trip inside the publishing transaction.
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
  const queryRunner = manager.queryRunner;
  if (queryRunner === undefined || !queryRunner.isTransactionActive) {
    throw new OutboxError('margin checks must be recorded inside the transaction that decides them');
  }
  const [row] = await queryPrepared<RecordedSlicesRow>(queryRunner, RECORD_SLICES, [
    underlyings,
    MARGIN_CHECK_SAMPLE_POSITIONS_PER_INSTRUMENT,
    MARGIN_CHECK_ACCOUNTS_PER_JOB_MAX,
    trigger.nowEpochMs,
    `margin-check-${trigger.triggerId}-`,
    MARGIN_CHECK_EVENTS_PER_TRIGGER_MAX,
  ]);
  if (row === undefined) throw new OutboxError('recording the margin checks returned no row');
  if (row.slice_count > MARGIN_CHECK_EVENTS_PER_TRIGGER_MAX) {
    // Nothing was inserted (the count is capped at one above the limit); the caller's transaction rolls
    // back the prices with the refusal.
    throw new OutboxError(
      `about ${Math.round(row.positions)} open positions need more than ${MARGIN_CHECK_EVENTS_PER_TRIGGER_MAX} events`,
    );
  }
  const eventIds = row.events.map((event) => {
    if (event.id === null) throw new OutboxError('a margin-check event was neither recorded nor found');
    return event.id;
  });
  return {
    accountCount: Math.round(row.positions),
    eventIds,
    createdCount: row.events.filter((event) => event.created).length,
  };
}

/** Inner bound i of `slice_count` slices, as uuidSliceBounds writes it: floor(i * 2^32 / count) on top. */
const sliceBoundSql = (index: string) =>
  `lpad(to_hex(((${index})::bigint << 32) / slice_count), 8, '0') || '-0000-0000-0000-000000000000'`;

interface RecordedSlicesRow {
  readonly positions: number;
  readonly slice_count: number;
  readonly events: { id: string | null; created: boolean }[];
}

/**
 * $1 underlyings, $2 sample size K, $3 accounts per slice, $4 nowEpochMs, $5 dedupe key prefix, $6 most
 * slices (above it nothing is inserted and the slice count tells the caller). The K-th smallest account id
 * is read as text in the C collation, which orders canonical lower-case uuids bytewise exactly as uuid
 * does (PostgreSQL 15 has no max(uuid)); its top 48 bits give u_K to far better than the estimate's 3%.
 * Idempotent: an event recorded before keeps its id and payload.
 */
const RECORD_SLICES: PreparedStatement = {
  name: 'novation_record_margin_check_slices',
  text: `
  WITH sampled AS (
         SELECT sample.sampled, sample.last_account_id
           FROM instrument
           CROSS JOIN LATERAL (
             SELECT count(*)::int AS sampled, max(held.account_id::text COLLATE "C") AS last_account_id
               FROM (SELECT position.account_id FROM position
                      WHERE position.instrument_id = instrument.id AND position.quantity <> 0
                        AND position.account_id <> ALL (ARRAY(SELECT id FROM account WHERE house_role IS NOT NULL))
                      ORDER BY position.account_id LIMIT $2::int) held) sample
          WHERE instrument.underlying = ANY($1::varchar[]) AND sample.sampled > 0),
       sliced AS (
         SELECT positions, least(ceil(positions / $3::int), $6::int + 1)::int AS slice_count
           FROM (SELECT coalesce(sum(CASE WHEN sampled < $2::int THEN sampled::float8 ELSE
                          ($2::int - 1) * 281474976710656.0::float8
                          / greatest(('x' || left(replace(last_account_id, '-', ''), 12))::bit(48)::bigint, 1)
                        END), 0) AS positions
                   FROM sampled) estimated),
       drafts AS (
         SELECT slice, $5::text || slice AS key,
                jsonb_build_object(
                  'accountRange', jsonb_build_object(
                    'underlyings', to_jsonb($1::varchar[]),
                    'accountIdFrom', CASE WHEN slice = 0 THEN NULL ELSE ${sliceBoundSql('slice')} END,
                    'accountIdBefore', CASE WHEN slice = slice_count - 1 THEN NULL ELSE ${sliceBoundSql('slice + 1')} END),
                  'nowEpochMs', $4::bigint) AS payload
           FROM sliced, generate_series(0, sliced.slice_count - 1) AS slice
          WHERE sliced.slice_count <= $6::int),
       inserted AS (
         INSERT INTO outbox_event (kind, dedupe_key, payload)
         SELECT 'margin-check', key, payload FROM drafts ORDER BY slice
         ON CONFLICT (dedupe_key) DO NOTHING
         RETURNING id, dedupe_key)
  SELECT sliced.positions, sliced.slice_count,
         (SELECT coalesce(json_agg(json_build_object('id', coalesce(inserted.id, existing.id)::text,
                                                     'created', inserted.id IS NOT NULL) ORDER BY drafts.slice), '[]')
            FROM drafts
            LEFT JOIN inserted ON inserted.dedupe_key = drafts.key
            LEFT JOIN outbox_event existing ON existing.dedupe_key = drafts.key) AS events
    FROM sliced`,
};

/**
 * `count` contiguous slices [from, before) covering the whole uuid space in PostgreSQL's uuid order
 * (bytewise, so the 128-bit big-endian number): the first starts at null (the beginning), the last ends
 * at null (the end), and each inner bound i is floor(i * 2^32 / count) in the top 32 bits, zeros below
 * (slices equal to one part in 2^32 are equal enough). The rule RECORD_SLICES applies, stated here.
 */
export function uuidSliceBounds(count: number): [string | null, string | null][] {
  if (!Number.isSafeInteger(count) || count < 1) throw new OutboxError('slice count must be a positive integer');
  if (count > 2 ** 31) throw new OutboxError('slice count must be at most 2^31');
  const bound = (index: number): string =>
    `${Math.floor((index * 2 ** 32) / count)
      .toString(16)
      .padStart(8, '0')}-0000-0000-0000-000000000000`;
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
 * Publishes market data and, in the same transaction, records the margin checks of the underlyings whose
 * prices were accepted, keyed by the accepted observation (`<source>-<max observedAt>-<underlyings hash>`).
 * The tick-to-enqueue path: besides BEGIN and COMMIT, four statements whatever the number of accounts
 * (the key locks, one read, one insert of the prices, one statement that sizes, slices and records the
 * checks), each a prepared statement.
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
