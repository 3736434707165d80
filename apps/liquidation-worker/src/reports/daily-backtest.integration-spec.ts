import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import {
  DAILY_BACKTEST_CRON,
  DAILY_BACKTEST_SCHEDULER_ID,
  QueueName,
  ReportJobName,
  reportJobOptions,
  type DailyBacktestJobResult,
} from '@novation/jobs';
import {
  AccountEntity,
  InstrumentEntity,
  MemberFirmEntity,
  dataSourceOptions,
  marginAccount,
  migrateUp,
} from '@novation/persistence';
import { createFastifyApp } from '@novation/platform';
import { createTestDatabase, deleteQueueKeys, testConfig, type TestDatabase } from '@novation/testing';
import { Queue, QueueEvents } from 'bullmq';
import { DataSource } from 'typeorm';
import { T0, setUpMarginMarket } from '../../test/margin-market.js';
import { WorkerModule } from '../worker.module.js';
import { DAILY_BACKTEST_ACTOR } from './daily-backtest.processor.js';

/** The business date tested: its receipt is the margin held at the end of 2026-11-24. */
const BUSINESS_DATE = '2026-11-25';
const WAIT_MS = 30_000;

describe('the daily backtest: a BullMQ job scheduler and its processor', () => {
  let database: TestDatabase;
  let config: NovationConfig;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let queue: Queue;
  let events: QueueEvents;

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({ DATABASE_URL: database.url });
    dataSource = new DataSource({
      ...dataSourceOptions({
        database: { url: database.url, poolSizeMax: 3, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
      }),
      logging: false,
    });
    await dataSource.initialize();
    await migrateUp(dataSource);
    await setUpMarginMarket(dataSource);
    // ALPHA's margin at the end of 2026-11-24 (a receipt computed then), and BTC-PERP closing marks of the
    // 24th and the 25th: one tested day.
    const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' });
    const account = await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId: alpha.id, code: 'main' });
    const receipt = await marginAccount(dataSource, account.id, T0);
    await dataSource.query(`UPDATE margin_receipt SET computed_at = '2026-11-24T20:00:00Z' WHERE id = $1`, [
      receipt.receiptId,
    ]);
    const btcPerp = await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'BTC-PERP' });
    await dataSource.query(
      `INSERT INTO mark_price (instrument_id, price, observed_at, source)
       VALUES ($1, 100000, '2026-11-24T23:00:00Z', 'test'), ($1, 99000, '2026-11-25T23:00:00Z', 'test')`,
      [btcPerp.id],
    );
    app = await createFastifyApp(WorkerModule.register(config));
    await app.init();
    const connection = { url: config.redis.url };
    queue = new Queue(QueueName.Reports, { connection, prefix: config.redis.queuePrefix });
    events = new QueueEvents(QueueName.Reports, { connection, prefix: config.redis.queuePrefix });
    await events.waitUntilReady();
  });

  afterAll(async () => {
    await events?.close();
    await queue?.close();
    await app?.close();
    await dataSource?.destroy();
    await database?.drop();
    if (config) await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
  });

  it('upserts exactly one schedule at 00:15 UTC, however often a worker starts', async () => {
    const second = await createFastifyApp(WorkerModule.register(config));
    await second.init();
    await second.close();
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ key: DAILY_BACKTEST_SCHEDULER_ID, pattern: DAILY_BACKTEST_CRON, tz: 'UTC' });
  });

  it('backtests a business date through the queue, audited, and a re-run stores nothing new', async () => {
    const run = async (jobId: string): Promise<DailyBacktestJobResult> => {
      const job = await queue.add(
        ReportJobName.DailyBacktest,
        { businessDate: BUSINESS_DATE },
        { ...reportJobOptions, jobId },
      );
      return (await job.waitUntilFinished(events, WAIT_MS)) as DailyBacktestJobResult;
    };
    const first = await run('rerun-1');
    expect(first.businessDate).toBe(BUSINESS_DATE);
    expect(first.created).toBeGreaterThan(0);
    expect(first.conflicts).toBe(0);
    const stored = (await dataSource.query(`SELECT run_by FROM backtest_report WHERE business_date = $1`, [
      BUSINESS_DATE,
    ])) as { run_by: string }[];
    expect(stored).toHaveLength(first.created);
    expect(stored.every((row) => row.run_by === DAILY_BACKTEST_ACTOR)).toBe(true);

    const second = await run('rerun-2');
    expect(second).toEqual({ businessDate: BUSINESS_DATE, created: 0, unchanged: first.created, conflicts: 0 });
    const audited = (await dataSource.query(
      `SELECT details FROM audit_log WHERE actor = $1 AND action = 'backtest-report.run' ORDER BY id`,
      [DAILY_BACKTEST_ACTOR],
    )) as { details: { created: number; unchanged: number } }[];
    expect(audited.map((row) => [row.details.created, row.details.unchanged])).toEqual([
      [first.created, 0],
      [0, first.created],
    ]);
  });

  it('fails a job with a malformed date for good, without retrying it', async () => {
    const job = await queue.add(ReportJobName.DailyBacktest, { businessDate: '25/11/2026' }, reportJobOptions);
    await expect(job.waitUntilFinished(events, WAIT_MS)).rejects.toThrow('invalid daily-backtest payload');
    expect((await queue.getJob(job.id ?? ''))?.attemptsMade).toBe(1);
  });
});
