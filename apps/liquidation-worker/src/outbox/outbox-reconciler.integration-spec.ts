import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import { MarginJobName, QueueName, marginCheckJobOptions, outboxJobId } from '@novation/jobs';
import { dataSourceOptions, migrateUp, recordOutboxEvent } from '@novation/persistence';
import { createFastifyApp } from '@novation/platform';
import { createTestDatabase, deleteQueueKeys, testConfig, type TestDatabase } from '@novation/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { setUpMarginMarket, type MarginMarket } from '../../test/margin-market.js';
import { WorkerModule } from '../worker.module.js';
import { OutboxDispatcher } from './outbox-dispatcher.service.js';

const WAIT_MS = 20_000;

/**
 * Regression (found by the crash-faults replay): a job hash that outlives the list holding it (its queue
 * keys deleted while the job was being added or moved: a flush, a failover) is in no state. The reconciler
 * used to re-dispatch its event without removing it, so BullMQ dropped every re-dispatch as a duplicate of
 * the orphan and the event, and the decision behind it, stayed open until it failed for good.
 */
describe('the outbox reconciler and an orphaned job hash', () => {
  let database: TestDatabase;
  let config: NovationConfig;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let market: MarginMarket;
  let queue: Queue;
  let redis: Redis;

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
    app = await createFastifyApp(WorkerModule.register(config, { timersEnabled: false }));
    await app.init();
    queue = new Queue(QueueName.Margin, { connection: { url: config.redis.url }, prefix: config.redis.queuePrefix });
    redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    await queue?.close();
    redis?.disconnect();
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

  it('removes the orphan and dispatches the event again, which then completes', async () => {
    const dispatcher = app.get(OutboxDispatcher);
    const nowEpochMs = Date.now();
    const event = await dataSource.transaction((manager) =>
      recordOutboxEvent(manager, {
        kind: 'margin-check',
        dedupeKey: 'orphan-test-1',
        payload: { accountIds: [market.deltaAccount], nowEpochMs },
      }),
    );
    // Paused, so the job waits; then its wait list vanishes and only the hash is left.
    await queue.pause();
    expect(await dispatcher.dispatchOnce()).toBe(1);
    expect(await statusOf(event.id)).toBe('enqueued');
    await redis.del(
      `${config.redis.queuePrefix}:${QueueName.Margin}:wait`,
      `${config.redis.queuePrefix}:${QueueName.Margin}:meta`,
    );
    expect(await queue.getJobState(outboxJobId(event.id))).toBe('unknown');
    // Without the removal, this add is what BullMQ drops as a duplicate.
    const again = await queue.add(
      MarginJobName.CheckAccounts,
      { outboxEventId: event.id },
      marginCheckJobOptions(event.id),
    );
    expect(await again.getState()).toBe('unknown');

    expect(await dispatcher.reconcileOnce(Date.now() + 60_000)).toMatchObject({ requeued: 1, failed: 0 });
    expect(await queue.getJob(outboxJobId(event.id))).toBeUndefined();
    expect(await statusOf(event.id)).toBe('pending');
    expect(await dispatcher.dispatchOnce()).toBe(1);
    const deadline = Date.now() + WAIT_MS;
    while ((await statusOf(event.id)) !== 'done' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await statusOf(event.id)).toBe('done');
  });

  it('fails an event after its last dispatch and keeps that failed job for the admin service', async () => {
    const dispatcher = app.get(OutboxDispatcher);
    const event = await dataSource.transaction((manager) =>
      recordOutboxEvent(manager, {
        kind: 'margin-check',
        dedupeKey: 'final-dispatch-test-1',
        payload: { accountIds: [market.deltaAccount], nowEpochMs: Date.now() },
      }),
    );
    // Its last dispatch (10, the default limit) ran a job that failed: here a payload the worker refuses.
    await dataSource.query(
      `UPDATE outbox_event SET status = 'enqueued', attempts = 10, enqueued_at = now() - interval '1 hour' WHERE id = $1`,
      [event.id],
    );
    const job = await queue.add(
      MarginJobName.CheckAccounts,
      { outboxEventId: 'not an id' },
      marginCheckJobOptions(event.id),
    );
    const deadline = Date.now() + WAIT_MS;
    while ((await job.getState()) !== 'failed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await job.getState()).toBe('failed');
    expect(await dispatcher.reconcileOnce(Date.now())).toMatchObject({ failed: 1 });
    expect(await statusOf(event.id)).toBe('failed');
    expect(await queue.getJobState(outboxJobId(event.id))).toBe('failed');
  });

  it('runs a first reconciler pass at boot, before its first interval', async () => {
    // An event enqueued earlier whose job is gone from Redis, and a worker whose interval is far longer than
    // the test: only the pass at boot can hand it back to the queue.
    const event = await dataSource.transaction((manager) =>
      recordOutboxEvent(manager, {
        kind: 'margin-check',
        dedupeKey: 'boot-pass-test-1',
        payload: { accountIds: [market.deltaAccount], nowEpochMs: Date.now() },
      }),
    );
    await dataSource.query(
      `UPDATE outbox_event SET status = 'enqueued', attempts = 1, enqueued_at = now() - interval '1 hour' WHERE id = $1`,
      [event.id],
    );
    const booted = await createFastifyApp(
      WorkerModule.register(config, {
        dispatchIntervalMs: 60_000,
        reconcileIntervalMs: 3_600_000,
        wakeOnNotify: false,
      }),
    );
    await booted.init();
    try {
      const deadline = Date.now() + WAIT_MS;
      while ((await statusOf(event.id)) === 'enqueued' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await statusOf(event.id)).not.toBe('enqueued');
    } finally {
      await booted.close();
    }
  });
});
