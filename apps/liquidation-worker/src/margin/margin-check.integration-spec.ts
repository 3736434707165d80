import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import {
  QueueName,
  marginCheckJobOptions,
  type MarginCheckAccountRange,
  type MarginCheckJobData,
} from '@novation/jobs';
import { accountsInMarginCheckRange, dataSourceOptions } from '@novation/persistence';
import { METRICS_REGISTRY, createFastifyApp } from '@novation/platform';
import { createTestDatabase, deleteQueueKeys, testConfig, type TestDatabase } from '@novation/testing';
import { Queue } from 'bullmq';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { T0, setUpMarginMarket, type MarginMarket } from '../../test/margin-market.js';
import { OutboxDispatcher } from '../outbox/outbox-dispatcher.service.js';
import { WorkerModule } from '../worker.module.js';

const WAIT_MS = 20_000;
const POLL_MS = 50;

describe('price moves re-margin the accounts they touch, through the outbox and real BullMQ', () => {
  let database: TestDatabase;
  let config: NovationConfig;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let market: MarginMarket;
  let dispatcher: OutboxDispatcher;
  let queue: Queue<MarginCheckJobData>;
  let appClosed = false;

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({ DATABASE_URL: database.url });
    // Timers off: the test drives dispatcher and reconciler by hand, the BullMQ worker runs for real.
    app = await createFastifyApp(WorkerModule.register(config, { timersEnabled: false }));
    await app.init();
    dataSource = new DataSource({
      ...dataSourceOptions({
        database: { url: database.url, poolSizeMax: 4, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
      }),
      logging: false,
    });
    await dataSource.initialize();
    market = await setUpMarginMarket(dataSource);
    dispatcher = app.get(OutboxDispatcher);
    queue = new Queue(QueueName.Margin, {
      connection: { url: config.redis.url },
      prefix: config.redis.queuePrefix,
    });
  });

  afterAll(async () => {
    await queue?.close();
    if (!appClosed) await app?.close();
    await dataSource?.destroy();
    await database?.drop();
    if (config) await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
  });

  async function receiptCounts(): Promise<Map<string, number>> {
    const rows: { account_id: string; count: number }[] = await dataSource.query(
      `SELECT account_id, count(*)::int AS count FROM margin_receipt GROUP BY account_id`,
    );
    return new Map(rows.map((row) => [row.account_id, row.count]));
  }

  async function eventStatus(eventId: string): Promise<string> {
    const [row] = (await dataSource.query(`SELECT status FROM outbox_event WHERE id = $1`, [eventId])) as {
      status: string;
    }[];
    return row?.status ?? 'missing';
  }

  async function waitForStatus(eventId: string, status: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while ((await eventStatus(eventId)) !== status) {
      if (Date.now() > deadline) throw new Error(`event ${eventId} still ${await eventStatus(eventId)}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  async function marginCalls(accountId: string): Promise<{ status: string; receipt_id: string }[]> {
    return dataSource.query(`SELECT status, receipt_id::text AS receipt_id FROM margin_call WHERE account_id = $1`, [
      accountId,
    ]);
  }

  it('re-margins exactly the accounts holding BTC-USD instruments, and opens a margin call below IM', async () => {
    const checks = await market.publishBtcMove('99000', T0 + 60_000);
    expect(checks).toMatchObject({ accountCount: 3, createdCount: 1 });
    const eventId = checks.eventIds[0] ?? '';
    const [payload] = (await dataSource.query(`SELECT payload FROM outbox_event WHERE id = $1`, [eventId])) as {
      payload: { accountRange: MarginCheckAccountRange };
    }[];
    // The decision names the whole slice of BTC-USD holders; the job resolves it to these three.
    expect(payload?.payload.accountRange).toEqual({
      underlyings: ['BTC-USD'],
      accountIdFrom: null,
      accountIdBefore: null,
    });
    expect(
      await accountsInMarginCheckRange(dataSource.manager, payload?.payload.accountRange as MarginCheckAccountRange),
    ).toEqual(market.btcAccounts);

    expect(await dispatcher.dispatchOnce()).toBe(1);
    await waitForStatus(eventId, 'done');

    const counts = await receiptCounts();
    for (const accountId of market.btcAccounts) expect(counts.get(accountId)).toBe(1);
    for (const accountId of market.ethAccounts) expect(counts.get(accountId)).toBeUndefined();
    const calls = await marginCalls(market.deltaAccount);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.status).toBe('open');
    const [receipt] = (await dataSource.query(`SELECT margin_status FROM margin_receipt WHERE id = $1`, [
      calls[0]?.receipt_id,
    ])) as { margin_status: string }[];
    expect(receipt?.margin_status).toBe('below_initial_margin');
  });

  it('records the same price move once, and a duplicate dispatch doubles nothing', async () => {
    const again = await market.publishBtcMove('99000', T0 + 60_000);
    // The same observation is refused as out of order: no accepted price, no new decision.
    expect(again).toMatchObject({ accountCount: 0, createdCount: 0 });

    const [done] = (await dataSource.query(`SELECT id::text AS id, payload FROM outbox_event ORDER BY id LIMIT 1`)) as {
      id: string;
      payload: Omit<MarginCheckJobData, 'outboxEventId'>;
    }[];
    if (done === undefined) throw new Error('no outbox event');
    const before = await receiptCounts();
    // A dispatcher that crashed after adding the job but before committing adds it again: BullMQ keeps the
    // completed job under the same id and drops the second add.
    const first = await queue.getJob(`outbox-${done.id}`);
    const second = await queue.add(
      'check-accounts',
      { outboxEventId: done.id, ...done.payload },
      marginCheckJobOptions(done.id),
    );
    expect(second.id).toBe(first?.id);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await receiptCounts()).toEqual(before);
    expect(await marginCalls(market.deltaAccount)).toHaveLength(1);
    expect(await eventStatus(done.id)).toBe('done');
  });

  it('re-processing a margin-check (a retry) changes no state: one margin call still', async () => {
    const [done] = (await dataSource.query(`SELECT id::text AS id, payload FROM outbox_event ORDER BY id LIMIT 1`)) as {
      id: string;
      payload: Omit<MarginCheckJobData, 'outboxEventId'>;
    }[];
    if (done === undefined) throw new Error('no outbox event');
    const before = await receiptCounts();
    const replay = await queue.add(
      'check-accounts',
      { outboxEventId: done.id, ...done.payload },
      { ...marginCheckJobOptions(done.id), jobId: `replay-${done.id}` },
    );
    const deadline = Date.now() + WAIT_MS;
    while ((await replay.getState()) !== 'completed') {
      if (Date.now() > deadline) throw new Error(`replay job ${await replay.getState()}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const after = await receiptCounts();
    for (const accountId of market.btcAccounts) expect(after.get(accountId)).toBe((before.get(accountId) ?? 0) + 1);
    const calls = await marginCalls(market.deltaAccount);
    expect(calls).toHaveLength(1);
    const [state] = (await dataSource.query(`SELECT margin_state FROM account WHERE id = $1`, [
      market.deltaAccount,
    ])) as { margin_state: string }[];
    expect(state?.margin_state).toBe('margin_call');
  });

  it('loses no decision when the queue keys vanish: the reconciler dispatches the event again', async () => {
    // A paused queue hands no job to the worker; deleting the keys below deletes the pause too.
    await queue.pause();
    const checks = await market.publishBtcMove('99100', T0 + 120_000);
    const eventId = checks.eventIds[0] ?? '';
    expect(await dispatcher.dispatchOnce()).toBe(1);
    expect(await eventStatus(eventId)).toBe('enqueued');
    const before = await receiptCounts();

    await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
    // Not yet past the timeout: an enqueued event is left alone.
    expect(await dispatcher.reconcileOnce(Date.now() - 60_000)).toMatchObject({ requeued: 0 });
    expect(await dispatcher.reconcileOnce(Date.now() + 60_000)).toMatchObject({ requeued: 1 });
    expect(await eventStatus(eventId)).toBe('pending');
    expect(await queue.isPaused()).toBe(false);
    expect(await dispatcher.dispatchOnce()).toBe(1);
    await waitForStatus(eventId, 'done');

    const after = await receiptCounts();
    for (const accountId of market.btcAccounts) expect(after.get(accountId)).toBe((before.get(accountId) ?? 0) + 1);
    for (const accountId of market.ethAccounts) expect(after.get(accountId)).toBeUndefined();
    const [row] = (await dataSource.query(`SELECT attempts FROM outbox_event WHERE id = $1`, [eventId])) as {
      attempts: number;
    }[];
    expect(row?.attempts).toBe(2);
  });

  it('serves the margin metrics', async () => {
    const metrics = await app.get<Registry>(METRICS_REGISTRY).metrics();
    expect(metrics).toMatch(/novation_margin_checks_processed_total\{outcome="done"\} [1-9]/);
    expect(metrics).toMatch(/novation_margin_accounts_remargined_total [1-9]/);
    expect(metrics).toMatch(/novation_margin_check_job_duration_seconds_count [1-9]/);
    expect(metrics).toMatch(/novation_outbox_events_open\{status="pending"\} 0/);
  });

  it('drains on close: a job running when the app closes still marks its event done', async () => {
    const checks = await market.publishBtcMove('99200', T0 + 180_000);
    const eventId = checks.eventIds[0] ?? '';
    expect(await dispatcher.dispatchOnce()).toBe(1);
    const job = await queue.getJob(`outbox-${eventId}`);
    const deadline = Date.now() + WAIT_MS;
    while (!['active', 'completed'].includes((await job?.getState()) ?? '')) {
      if (Date.now() > deadline) throw new Error('job never started');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    appClosed = true;
    await app.close();
    expect(await eventStatus(eventId)).toBe('done');
  });
});
