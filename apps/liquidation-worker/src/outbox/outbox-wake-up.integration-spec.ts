import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import { dataSourceOptions, migrateUp, recordOutboxEvent } from '@novation/persistence';
import { createFastifyApp } from '@novation/platform';
import { createTestDatabase, deleteQueueKeys, testConfig, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { setUpMarginMarket, type MarginMarket } from '../../test/margin-market.js';
import { WorkerModule } from '../worker.module.js';

/** Far longer than the test waits: only a wake-up can dispatch in time. */
const POLL_INTERVAL_MS = 60_000;
const WAIT_MS = 10_000;

describe('the outbox dispatcher wakes on PostgreSQL NOTIFY', () => {
  let database: TestDatabase;
  let config: NovationConfig;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let market: MarginMarket;

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({ DATABASE_URL: database.url });
    dataSource = new DataSource({
      ...dataSourceOptions({
        database: { url: database.url, poolSizeMax: 2, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
      }),
      logging: false,
    });
    await dataSource.initialize();
    await migrateUp(dataSource);
    market = await setUpMarginMarket(dataSource);
    app = await createFastifyApp(
      WorkerModule.register(config, { dispatchIntervalMs: POLL_INTERVAL_MS, reconcileIntervalMs: POLL_INTERVAL_MS }),
    );
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await dataSource?.destroy();
    await database?.drop();
    if (config) await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
  });

  async function statusOf(eventId: string): Promise<string> {
    const [row] = (await dataSource.query(`SELECT status FROM outbox_event WHERE id = $1`, [eventId])) as {
      status: string;
    }[];
    return row?.status ?? 'missing';
  }

  it('dispatches an event as soon as the transaction that recorded it commits, not at the next poll', async () => {
    // The app's first dispatch (on listening) has run; this event is recorded afterwards.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const recorded = await dataSource.transaction((manager) =>
      recordOutboxEvent(manager, {
        kind: 'margin-check',
        dedupeKey: 'wake-up-test-1',
        payload: { accountIds: [market.btcAccounts[0] as string], nowEpochMs: Date.now() },
      }),
    );
    const deadline = Date.now() + WAIT_MS;
    let status = await statusOf(recorded.id);
    while (status === 'pending' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = await statusOf(recorded.id);
    }
    expect(['enqueued', 'done']).toContain(status);
    // Added straight from the notification and marked once: one dispatch.
    const [row] = (await dataSource.query(`SELECT attempts FROM outbox_event WHERE id = $1`, [recorded.id])) as {
      attempts: number;
    }[];
    expect(row?.attempts).toBe(1);
  });

  it('claims the events of a wake-up too large to carry them, at once too', async () => {
    // 41 events in one statement: the notification is the wake-up alone, and the dispatcher claims them.
    const ids = (
      (await dataSource.query(
        `INSERT INTO outbox_event (kind, dedupe_key, payload)
         SELECT 'margin-check', 'wake-up-many-' || n, jsonb_build_object('accountIds', jsonb_build_array($1::text),
                                                                         'nowEpochMs', $2::bigint)
           FROM generate_series(1, 41) AS n RETURNING id::text AS id`,
        [market.btcAccounts[0], Date.now()],
      )) as { id: string }[]
    ).map((row) => row.id);
    const deadline = Date.now() + WAIT_MS;
    let pending = ids.length;
    while (pending > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const [row] = (await dataSource.query(
        `SELECT count(*)::int AS pending FROM outbox_event WHERE id = ANY($1::bigint[]) AND status = 'pending'`,
        [ids],
      )) as { pending: number }[];
      pending = row?.pending ?? 0;
    }
    expect(pending).toBe(0);
  });
});
