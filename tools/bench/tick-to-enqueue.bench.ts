/**
 * Tick to margin-check jobs enqueued (real-time margining issue): 100,000 member accounts, 10% of them
 * holding BTC-PERP and the rest ETH-PERP. Each tick publishes a new BTC-USD index price and BTC-PERP mark
 * through `publishMarketDataAndRecordChecks` (the transaction that accepts the prices records the margin
 * checks of the 10,000 BTC holders as outbox events, 500 accounts each), and the worker's outbox
 * dispatcher, running as in production, hands them to BullMQ. Measured per tick, from just before the
 * publish call to the moment the last of the tick's jobs is in the margin queue (QueueEvents `added`):
 * p50 and p99, with the dispatcher woken by PostgreSQL's NOTIFY (the default) and, for comparison,
 * polling alone. Processing is paused (the margin queue's workers take nothing), so the margin runs
 * themselves do not compete for the CPU being measured.
 *
 * Goal (issue): p99 <= 25 ms, p50 <= 10 ms on this machine.
 */
import { performance } from 'node:perf_hooks';
import { QueueName } from '@novation/jobs';
import { InstrumentEntity, migrateUp, publishMarketDataAndRecordChecks, seedDemoMarket } from '@novation/persistence';
import { createFastifyApp } from '@novation/platform';
import { createTestDatabase, deleteQueueKeys, testConfig } from '@novation/testing';
import { Queue, QueueEvents } from 'bullmq';
import { DataSource } from 'typeorm';
import { WorkerModule } from '../../apps/liquidation-worker/src/worker.module.js';

const ACCOUNT_COUNT = 100_000;
const TICKED_SHARE = 0.1;
const TICKS = 60;
const WARMUP_TICKS = 5;
const PAUSE_BETWEEN_TICKS_MS = 100;
const JOB_WAIT_MS_MAX = 30_000;
const HOUR_MS = 3_600_000;

async function seedAccounts(dataSource: DataSource, now: number): Promise<void> {
  await seedDemoMarket(dataSource, new Date(now - HOUR_MS));
  const btc = await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'BTC-PERP' });
  const eth = await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'ETH-PERP' });
  await dataSource.transaction(async (manager) => {
    const [firm] = (await manager.query(
      `INSERT INTO member_firm (code, name) VALUES ('TICK', 'Tick benchmark firm') RETURNING id`,
    )) as { id: string }[];
    await manager.query(
      `INSERT INTO account (member_firm_id, code, kind, settlement_asset)
       SELECT $1::uuid, 'tick-' || n, 'cross', 'USDC' FROM generate_series(1, $2::int) AS n`,
      [firm?.id, ACCOUNT_COUNT],
    );
    // Every tenth account (by code) holds BTC-PERP, the others ETH-PERP: the index from underlying to
    // accounts must find the 10% without touching the rest.
    await manager.query(
      `INSERT INTO position (account_id, instrument_id, quantity, average_entry_price)
       SELECT account.id,
              CASE WHEN substring(account.code FROM 6)::int % $2::int = 0 THEN $3::uuid ELSE $4::uuid END,
              0.01, 100000
         FROM account WHERE account.member_firm_id = $1::uuid AND account.code LIKE 'tick-%'`,
      [firm?.id, Math.round(1 / TICKED_SHARE), btc.id, eth.id],
    );
  });
  await dataSource.query('ANALYZE');
}

function percentile(sorted: readonly number[], fraction: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

interface Run {
  readonly name: string;
  readonly publishMs: number[];
  readonly enqueuedMs: number[];
  readonly jobsPerTick: number;
}

async function runTicks(name: string, wakeOnNotify: boolean, startPrice: number, now: () => number): Promise<Run> {
  const database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url });
  const app = await createFastifyApp(WorkerModule.register(config, { wakeOnNotify }));
  const connection = { url: config.redis.url };
  const queue = new Queue(QueueName.Margin, { connection, prefix: config.redis.queuePrefix });
  const events = new QueueEvents(QueueName.Margin, { connection, prefix: config.redis.queuePrefix });
  try {
    const dataSource = app.get(DataSource);
    await migrateUp(dataSource);
    await seedAccounts(dataSource, now());
    await events.waitUntilReady();
    // Jobs wait in the paused queue: only the path to the queue is measured.
    await queue.pause();
    await app.init();
    const btc = await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'BTC-PERP' });
    const added = new Map<string, number>();
    events.on('added', ({ jobId }) => added.set(jobId, performance.now()));
    const publishMs: number[] = [];
    const enqueuedMs: number[] = [];
    let jobsPerTick = 0;
    for (let tick = 0; tick < WARMUP_TICKS + TICKS; tick += 1) {
      const observedAtEpochMs = now();
      const price = String(startPrice + (tick % 2 === 0 ? 10 : -10));
      const started = performance.now();
      const result = await publishMarketDataAndRecordChecks(
        dataSource,
        {
          source: 'tick-bench',
          indexPrices: [{ underlying: 'BTC-USD', price, observedAtEpochMs }],
          markPrices: [{ instrumentId: btc.id, price, observedAtEpochMs }],
        },
        { nowEpochMs: observedAtEpochMs, maxAgeMs: 60_000, maxFutureSkewMs: 1_000, bandFraction: '0.1' },
      );
      const committed = performance.now();
      const jobIds = result.marginChecks.eventIds.map((id) => `outbox-${id}`);
      jobsPerTick = jobIds.length;
      const deadline = committed + JOB_WAIT_MS_MAX;
      while (!jobIds.every((id) => added.has(id)) && performance.now() < deadline) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      const last = Math.max(...jobIds.map((id) => added.get(id) ?? Number.POSITIVE_INFINITY));
      if (tick >= WARMUP_TICKS) {
        publishMs.push(committed - started);
        enqueuedMs.push(last - started);
      }
      await queue.drain();
      added.clear();
      await new Promise((resolve) => setTimeout(resolve, PAUSE_BETWEEN_TICKS_MS));
    }
    return { name, publishMs, enqueuedMs, jobsPerTick };
  } finally {
    await events.close();
    await queue.close();
    await app.close();
    await database.drop();
    await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
  }
}

function row(run: Run): string {
  const publish = [...run.publishMs].sort((a, b) => a - b);
  const enqueued = [...run.enqueuedMs].sort((a, b) => a - b);
  const format = (value: number) => value.toFixed(1).padStart(8);
  return [
    run.name.padEnd(26),
    String(run.jobsPerTick).padStart(5),
    format(percentile(publish, 0.5)),
    format(percentile(publish, 0.99)),
    format(percentile(enqueued, 0.5)),
    format(percentile(enqueued, 0.99)),
    format(enqueued[enqueued.length - 1] ?? Number.NaN),
  ].join(' | ');
}

async function main(): Promise<void> {
  // A clock that moves forward 1 s per call: each tick's observation is newer than the last.
  let clock = Date.now();
  const now = () => (clock += 1_000);
  console.log(
    `Tick to margin-check jobs enqueued: ${ACCOUNT_COUNT.toLocaleString('en-US')} accounts, ` +
      `${(ACCOUNT_COUNT * TICKED_SHARE).toLocaleString('en-US')} holding the ticked underlying; ${TICKS} ticks after ${WARMUP_TICKS} warm-up.`,
  );
  console.log('Goal: tick -> enqueued p99 <= 25 ms, p50 <= 10 ms.');
  const runs = [await runTicks('NOTIFY wake-up (default)', true, 100_000, now)];
  runs.push(await runTicks('polling only (200 ms)', false, 100_000, now));
  console.log(['dispatcher'.padEnd(26), ' jobs', 'publish p50', 'p99', 'enqueued p50', 'p99', 'max'].join(' | '));
  for (const run of runs) console.log(row(run));
}

await main();
