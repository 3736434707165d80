import { createTestDatabase, type TestDatabase } from '@novation/testing';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, migrateUp } from '../data-source.js';
import { InstrumentEntity } from '../entities/reference-data.entity.js';
import { Outbox1795720000000 } from '../migrations/1795720000000-Outbox.js';
import { OutboxEventsInWakeUp1795830000000 } from '../migrations/1795830000000-OutboxEventsInWakeUp.js';
import { seedDemoMarket } from '../seed/demo-market.js';
import type { MarginCheckAccountRange, MarginCheckPayload } from '@novation/jobs';
import {
  accountsInMarginCheckRange,
  recordMarginChecksForAllAccounts,
  recordMarginChecksForUnderlyings,
  uuidSliceBounds,
} from './margin-checks.js';
import {
  OutboxError,
  countOpenOutboxEvents,
  deleteDoneOutboxEvents,
  dispatchPendingOutboxEvents,
  listStaleEnqueuedOutboxEvents,
  markOutboxEventDone,
  markOutboxEventsEnqueued,
  outboxEventsOfNotification,
  recordOutboxEvent,
  requeueOutboxEvent,
} from './outbox.js';

const SEED_TIME = new Date('2026-11-25T12:00:00Z');
const NOW = SEED_TIME.getTime() + 3_600_000;

describe('the outbox in PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let btcAccounts: string[];
  let ethAccounts: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = new DataSource({
      ...dataSourceOptions({
        database: { url: database.url, poolSizeMax: 5, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
      }),
      logging: false,
    });
    await dataSource.initialize();
    await migrateUp(dataSource);
    await seedDemoMarket(dataSource, SEED_TIME);
    const btcPerp = (await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'BTC-PERP' })).id;
    const ethPerp = (await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'ETH-PERP' })).id;
    // 501 accounts long BTC-PERP (two chunks), 3 long ETH-PERP, 2 flat in BTC-PERP: positions written
    // directly, the outbox only reads them.
    const [firm] = (await dataSource.query(
      `INSERT INTO member_firm (code, name) VALUES ('OUTBOX', 'Outbox test') RETURNING id`,
    )) as { id: string }[];
    const accounts = async (prefix: string, count: number): Promise<string[]> => {
      const rows: { id: string }[] = await dataSource.query(
        `INSERT INTO account (member_firm_id, code, kind, settlement_asset)
         SELECT $1, $2 || n, 'cross', 'USDC' FROM generate_series(1, $3::int) AS n RETURNING id`,
        [firm?.id, prefix, count],
      );
      return rows.map((row) => row.id).sort();
    };
    const position = (ids: string[], instrumentId: string, quantity: string) =>
      dataSource.query(
        `INSERT INTO position (account_id, instrument_id, quantity, average_entry_price)
         SELECT id, $2, $3::numeric, CASE WHEN $3::numeric = 0 THEN NULL ELSE 100 END FROM unnest($1::uuid[]) AS id`,
        [ids, instrumentId, quantity],
      );
    btcAccounts = await accounts('btc-', 501);
    ethAccounts = await accounts('eth-', 3);
    await position(btcAccounts, btcPerp, '1');
    await position(ethAccounts, ethPerp, '2');
    await position(await accounts('flat-', 2), btcPerp, '0');
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  afterEach(async () => {
    await dataSource.query(`DELETE FROM outbox_event`);
  });

  const payloadOf = async (id: string): Promise<MarginCheckPayload> => {
    const [row] = (await dataSource.query(`SELECT payload FROM outbox_event WHERE id = $1`, [id])) as {
      payload: MarginCheckPayload;
    }[];
    if (row === undefined) throw new Error(`no event ${id}`);
    return row.payload;
  };

  it('records one event per 500 accounts holding the moved underlying, once per trigger', async () => {
    const trigger = { underlyings: ['BTC-USD'], triggerId: 'test-1', nowEpochMs: NOW };
    const first = await dataSource.transaction((manager) => recordMarginChecksForUnderlyings(manager, trigger));
    expect(first).toMatchObject({ accountCount: 501, createdCount: 2 });
    // Two contiguous halves of the uuid space; resolved, they hold every BTC account exactly once.
    const firstSlice = await payloadOf(first.eventIds[0] ?? '');
    const secondSlice = await payloadOf(first.eventIds[1] ?? '');
    const half = '80000000-0000-0000-0000-000000000000';
    expect(firstSlice).toEqual({
      accountRange: { underlyings: ['BTC-USD'], accountIdFrom: null, accountIdBefore: half },
      nowEpochMs: NOW,
    });
    expect(secondSlice).toEqual({
      accountRange: { underlyings: ['BTC-USD'], accountIdFrom: half, accountIdBefore: null },
      nowEpochMs: NOW,
    });
    const resolve = (payload: MarginCheckPayload) =>
      accountsInMarginCheckRange(dataSource.manager, payload.accountRange as MarginCheckAccountRange);
    const lower = await resolve(firstSlice);
    const upper = await resolve(secondSlice);
    expect([...lower, ...upper]).toEqual(btcAccounts);
    expect(lower.every((id) => id < half) && upper.every((id) => id >= half)).toBe(true);
    // Random ids: about half each (501 accounts, so 250 +/- 11 for one standard deviation).
    expect(lower.length).toBeGreaterThan(150);
    expect(upper.length).toBeGreaterThan(150);

    const again = await dataSource.transaction((manager) => recordMarginChecksForUnderlyings(manager, trigger));
    expect(again).toEqual({ accountCount: 501, eventIds: first.eventIds, createdCount: 0 });
    const [keys] = (await dataSource.query(`SELECT array_agg(dedupe_key ORDER BY id) AS keys FROM outbox_event`)) as {
      keys: string[];
    }[];
    expect(keys?.keys).toEqual(['margin-check-test-1-0', 'margin-check-test-1-1']);
  });

  it('finds only the accounts of the moved underlyings; the sweep finds all with open positions', async () => {
    const eth = await dataSource.transaction((manager) =>
      recordMarginChecksForUnderlyings(manager, { underlyings: ['ETH-USD'], triggerId: 'eth', nowEpochMs: NOW }),
    );
    expect(eth.accountCount).toBe(3);
    const ethSlice = (await payloadOf(eth.eventIds[0] ?? '')).accountRange as MarginCheckAccountRange;
    expect(await accountsInMarginCheckRange(dataSource.manager, ethSlice)).toEqual(ethAccounts);
    const none = await dataSource.transaction((manager) =>
      recordMarginChecksForUnderlyings(manager, { underlyings: ['SOL-USD'], triggerId: 'sol', nowEpochMs: NOW }),
    );
    expect(none).toEqual({ accountCount: 0, eventIds: [], createdCount: 0 });
    const sweep = await dataSource.transaction((manager) =>
      recordMarginChecksForAllAccounts(manager, { triggerId: 'sweep-1', nowEpochMs: NOW }),
    );
    expect(sweep).toMatchObject({ accountCount: 504, createdCount: 2 });
  });

  it('sizes the slices of a large holding from a sample of its first 1,000 account ids', async () => {
    // 2,000 more BTC-USD holders, in a second instrument: 501 are counted exactly (fewer than the sample),
    // the 2,000 estimated from the 1,000th smallest account id (2,000 +/- 63 for one standard deviation).
    const future = (await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'BTC-29JAN27' })).id;
    const [firm] = (await dataSource.query(`SELECT id FROM member_firm WHERE code = 'OUTBOX'`)) as { id: string }[];
    const holders = (
      (await dataSource.query(
        `INSERT INTO account (member_firm_id, code, kind, settlement_asset)
         SELECT $1, 'sampled-' || n, 'cross', 'USDC' FROM generate_series(1, 2000) AS n RETURNING id`,
        [firm?.id],
      )) as { id: string }[]
    ).map((row) => row.id);
    await dataSource.query(
      `INSERT INTO position (account_id, instrument_id, quantity, average_entry_price)
       SELECT id, $2, 1, 100 FROM unnest($1::uuid[]) AS id`,
      [holders, future],
    );
    try {
      const trigger = { underlyings: ['BTC-USD'], triggerId: 'sampled', nowEpochMs: NOW };
      const recorded = await dataSource.transaction((manager) => recordMarginChecksForUnderlyings(manager, trigger));
      // Five standard deviations either way.
      expect(recorded.accountCount).toBeGreaterThan(501 + 2000 - 315);
      expect(recorded.accountCount).toBeLessThan(501 + 2000 + 315);
      const sliceCount = Math.ceil(recorded.accountCount / 500);
      expect(recorded.eventIds).toHaveLength(sliceCount);
      expect(recorded.createdCount).toBe(sliceCount);
      const ranges = await Promise.all(
        recorded.eventIds.map(async (id) => (await payloadOf(id)).accountRange as MarginCheckAccountRange),
      );
      // The bounds PostgreSQL wrote are exactly those of the stated rule.
      expect(ranges.map((range) => [range.accountIdFrom, range.accountIdBefore])).toEqual(uuidSliceBounds(sliceCount));
      const resolved = (
        await Promise.all(ranges.map((range) => accountsInMarginCheckRange(dataSource.manager, range)))
      ).flat();
      expect(resolved).toEqual([...btcAccounts, ...holders].sort());
    } finally {
      await dataSource.query(`DELETE FROM position WHERE instrument_id = $1`, [future]);
    }
  });

  it('announces the events a statement recorded in its wake-up, or the wake-up alone when they do not fit', async () => {
    const listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    const notifications: string[] = [];
    listener.on('notification', (message) => notifications.push(message.payload ?? ''));
    await listener.query('LISTEN outbox_event');
    try {
      const trigger = { underlyings: ['BTC-USD'], triggerId: 'wake-up', nowEpochMs: NOW };
      const recorded = await dataSource.transaction((manager) => recordMarginChecksForUnderlyings(manager, trigger));
      // 41 events in one statement: more than one notification carries.
      await dataSource.query(
        `INSERT INTO outbox_event (kind, dedupe_key, payload)
         SELECT 'margin-check', 'many-' || n, '{}' FROM generate_series(1, 41) AS n`,
      );
      // Recorded again: nothing inserted, so nothing announced; the sentinel's notification comes next.
      await dataSource.transaction((manager) => recordMarginChecksForUnderlyings(manager, trigger));
      const sentinel = await dataSource.transaction((manager) =>
        recordOutboxEvent(manager, { kind: 'liquidation', dedupeKey: 'sentinel', payload: { n: 1 } }),
      );
      const deadline = Date.now() + 5_000;
      while (notifications.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(notifications).toHaveLength(3);
      const expected = await Promise.all(
        recorded.eventIds.map(async (id) => ({ id, kind: 'margin-check', payload: await payloadOf(id), attempts: 0 })),
      );
      expect(outboxEventsOfNotification(notifications[0] ?? '')).toEqual(expected);
      expect(notifications[1]).toBe('');
      expect(outboxEventsOfNotification(notifications[1] ?? '')).toBeNull();
      expect(outboxEventsOfNotification(notifications[2] ?? '')).toEqual([
        { id: sentinel.id, kind: 'liquidation', payload: { n: 1 }, attempts: 0 },
      ]);
    } finally {
      await listener.end();
    }
    // Anything else is not taken from the notification: the dispatcher claims instead.
    for (const malformed of ['not json', '[]', '{}', '[{"id":"01","kind":"margin-check","payload":{},"attempts":0}]']) {
      expect(outboxEventsOfNotification(malformed)).toBeNull();
    }
    expect(outboxEventsOfNotification('[{"id":"7","kind":"other","payload":{},"attempts":0}]')).toBeNull();
  });

  it('marks enqueued only the announced events still pending', async () => {
    const ids = await dataSource.transaction(async (manager) => [
      (await recordOutboxEvent(manager, { kind: 'margin-check', dedupeKey: 'announced-1', payload: {} })).id,
      (await recordOutboxEvent(manager, { kind: 'margin-check', dedupeKey: 'announced-2', payload: {} })).id,
    ]);
    // A job that already finished: done stays done.
    await markOutboxEventDone(dataSource.manager, ids[1] ?? '', NOW);
    expect(await markOutboxEventsEnqueued(dataSource, ids, NOW)).toEqual([ids[0]]);
    expect(await markOutboxEventsEnqueued(dataSource, ids, NOW)).toEqual([]);
    const rows: { status: string; attempts: number }[] = await dataSource.query(
      `SELECT status, attempts FROM outbox_event ORDER BY id`,
    );
    expect(rows).toEqual([
      { status: 'enqueued', attempts: 1 },
      { status: 'done', attempts: 0 },
    ]);
  });

  it('retention deletes done events past their days, never pending or failed ones', async () => {
    const ids = await dataSource.transaction(async (manager) =>
      Promise.all(
        ['old-done', 'new-done', 'old-failed', 'old-pending'].map(
          async (key) =>
            (await recordOutboxEvent(manager, { kind: 'margin-check', dedupeKey: key, payload: { key } })).id,
        ),
      ),
    );
    const [oldDone, newDone, oldFailed, oldPending] = ids;
    const day = 86_400_000;
    await dataSource.query(`UPDATE outbox_event SET status = 'done', done_at = $2 WHERE id = $1`, [
      oldDone,
      new Date(NOW - 31 * day),
    ]);
    await dataSource.query(`UPDATE outbox_event SET status = 'done', done_at = $2 WHERE id = $1`, [
      newDone,
      new Date(NOW - 29 * day),
    ]);
    await dataSource.query(`UPDATE outbox_event SET status = 'failed', created_at = $2 WHERE id = $1`, [
      oldFailed,
      new Date(NOW - 40 * day),
    ]);
    await dataSource.query(`UPDATE outbox_event SET created_at = $2 WHERE id = $1`, [
      oldPending,
      new Date(NOW - 40 * day),
    ]);
    const options = { nowEpochMs: NOW, retentionDays: 30, batchSizeMax: 10 };
    expect(await deleteDoneOutboxEvents(dataSource.manager, options)).toBe(1);
    expect(await deleteDoneOutboxEvents(dataSource.manager, options)).toBe(0);
    const left = (await dataSource.query(`SELECT id::text AS id FROM outbox_event ORDER BY outbox_event.id`)) as {
      id: string;
    }[];
    expect(left.map((row) => row.id)).toEqual([newDone, oldFailed, oldPending]);
    await expect(deleteDoneOutboxEvents(dataSource.manager, { ...options, retentionDays: 0 })).rejects.toThrow(
      'retentionDays',
    );
  });

  it('refuses to record outside a transaction, and a rolled-back decision leaves no event', async () => {
    await expect(
      recordOutboxEvent(dataSource.manager, { kind: 'margin-check', dedupeKey: 'outside', payload: {} }),
    ).rejects.toThrow(OutboxError);
    await expect(
      dataSource.transaction(async (manager) => {
        await recordOutboxEvent(manager, { kind: 'margin-check', dedupeKey: 'rolled-back', payload: {} });
        throw new Error('decision aborted');
      }),
    ).rejects.toThrow('decision aborted');
    expect(await countOpenOutboxEvents(dataSource.manager)).toEqual({ pending: 0, enqueued: 0 });
  });

  it('lets two dispatchers claim disjoint events (SKIP LOCKED), in bounded batches', async () => {
    await dataSource.transaction(async (manager) => {
      for (let index = 0; index < 5; index += 1) {
        await recordOutboxEvent(manager, { kind: 'margin-check', dedupeKey: `claim-${index}`, payload: { index } });
      }
    });
    let releaseFirst: () => void = () => undefined;
    const firstHolding = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    let firstClaimed: () => void = () => undefined;
    const firstHasClaimed = new Promise<void>((resolve) => {
      firstClaimed = resolve;
    });
    const first = dispatchPendingOutboxEvents(dataSource, { limit: 3, nowEpochMs: NOW }, async () => {
      firstClaimed();
      await firstHolding;
      return [];
    });
    await firstHasClaimed;
    const second = await dispatchPendingOutboxEvents(dataSource, { limit: 3, nowEpochMs: NOW }, async () => []);
    releaseFirst();
    const firstIds = (await first).map((event) => event.id);
    const secondIds = second.map((event) => event.id);
    expect(firstIds).toHaveLength(3);
    expect(secondIds).toHaveLength(2);
    expect(firstIds.filter((id) => secondIds.includes(id))).toEqual([]);
    expect(await countOpenOutboxEvents(dataSource.manager)).toEqual({ pending: 0, enqueued: 5 });
  });

  it('keeps events pending when enqueueing fails, and fails the ones the dispatcher rejects', async () => {
    const ids = await dataSource.transaction(async (manager) => [
      (await recordOutboxEvent(manager, { kind: 'margin-check', dedupeKey: 'redis-down', payload: {} })).id,
      (await recordOutboxEvent(manager, { kind: 'margin-check', dedupeKey: 'poison', payload: {} })).id,
    ]);
    await expect(
      dispatchPendingOutboxEvents(dataSource, { limit: 10, nowEpochMs: NOW }, () =>
        Promise.reject(new Error('Redis unreachable')),
      ),
    ).rejects.toThrow('Redis unreachable');
    expect(await countOpenOutboxEvents(dataSource.manager)).toEqual({ pending: 2, enqueued: 0 });
    await dispatchPendingOutboxEvents(dataSource, { limit: 10, nowEpochMs: NOW }, async () => [
      { id: ids[1] ?? '', reason: 'bad payload' },
    ]);
    const rows: { status: string; last_error: string | null; attempts: number }[] = await dataSource.query(
      `SELECT status, last_error, attempts FROM outbox_event ORDER BY id`,
    );
    expect(rows).toEqual([
      { status: 'enqueued', last_error: null, attempts: 1 },
      { status: 'failed', last_error: 'bad payload', attempts: 0 },
    ]);
  });

  it('re-queues a stale enqueued event, fails it after the dispatch limit, and never reopens a done one', async () => {
    const id = await dataSource.transaction(
      async (manager) =>
        (await recordOutboxEvent(manager, { kind: 'margin-check', dedupeKey: 'stale', payload: {} })).id,
    );
    await dispatchPendingOutboxEvents(dataSource, { limit: 10, nowEpochMs: NOW }, async () => []);
    expect(await listStaleEnqueuedOutboxEvents(dataSource.manager, { enqueuedBeforeEpochMs: NOW, limit: 10 })).toEqual(
      [],
    );
    const stale = await listStaleEnqueuedOutboxEvents(dataSource.manager, {
      enqueuedBeforeEpochMs: NOW + 1,
      limit: 10,
    });
    expect(stale.map((event) => event.id)).toEqual([id]);
    const options = { reason: 'job not found in Redis', dispatchAttemptsMax: 2 };
    expect(await requeueOutboxEvent(dataSource.manager, id, options)).toBe('pending');
    await dispatchPendingOutboxEvents(dataSource, { limit: 10, nowEpochMs: NOW }, async () => []);
    expect(await requeueOutboxEvent(dataSource.manager, id, options)).toBe('failed');
    // A late job still completes the work: done wins over failed, and done is final.
    expect(await markOutboxEventDone(dataSource.manager, id, NOW)).toBe(true);
    expect(await markOutboxEventDone(dataSource.manager, id, NOW)).toBe(false);
    expect(await requeueOutboxEvent(dataSource.manager, id, options)).toBeNull();
  });

  it('has a wake-up migration that goes down (the wake-up alone) and up again', async () => {
    const listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    const notifications: string[] = [];
    listener.on('notification', (message) => notifications.push(message.payload ?? ''));
    await listener.query('LISTEN outbox_event');
    const migration = new OutboxEventsInWakeUp1795830000000();
    const queryRunner = dataSource.createQueryRunner();
    try {
      await migration.down(queryRunner);
      await dataSource.transaction((manager) =>
        recordOutboxEvent(manager, { kind: 'margin-check', dedupeKey: 'down', payload: {} }),
      );
      await migration.up(queryRunner);
      const up = await dataSource.transaction((manager) =>
        recordOutboxEvent(manager, { kind: 'margin-check', dedupeKey: 'up', payload: {} }),
      );
      const deadline = Date.now() + 5_000;
      while (notifications.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(notifications[0]).toBe('');
      expect(outboxEventsOfNotification(notifications[1] ?? '')).toEqual([
        { id: up.id, kind: 'margin-check', payload: {}, attempts: 0 },
      ]);
    } finally {
      await queryRunner.release();
      await listener.end();
    }
  });

  it('has a migration that goes down and up again', async () => {
    const migration = new Outbox1795720000000();
    const queryRunner = dataSource.createQueryRunner();
    try {
      await migration.down(queryRunner);
      const [table] = (await queryRunner.query(`SELECT to_regclass('outbox_event') AS name`)) as {
        name: string | null;
      }[];
      expect(table?.name).toBeNull();
      await migration.up(queryRunner);
    } finally {
      await queryRunner.release();
    }
  });
});
