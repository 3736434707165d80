/**
 * The crash replay of issue 6 at full size: 10,000 member accounts with 2x..20x leverage, long, short and
 * hedged, on BTC and ETH perpetuals, the dated BTC future and BTC options (apps/liquidation-worker/test/
 * crash-market.ts); BTC-USD and ETH-USD fall 40% in 10 steps over a simulated 10 minutes, the compiled
 * worker running as a child process exactly as in production. Prints: accounts breached, liquidations,
 * liquidation steps committed per second (mean over the seconds that committed any, and the busiest
 * second), margin runs per second, queue lag (the oldest waiting job's age and the backlog, sampled every
 * 250 ms: max and p99), what the insurance fund and the waterfall paid, and the auditor's result.
 * Measures only: never fails on timing. Takes several minutes.
 */
import { dataSourceOptions, migrateUp } from '@novation/persistence';
import { createTestDatabase, deleteQueueKeys, testConfig } from '@novation/testing';
import { DataSource } from 'typeorm';
import {
  QueueLagSampler,
  buildCrashMarket,
  runCrash,
  spawnWorker,
  stopWorker,
  verifyCrashOutcome,
  waitForSettledPipeline,
} from '../../apps/liquidation-worker/test/crash-market.js';

/** 10,000 by default; CRASH_REPLAY_ACCOUNTS runs a smaller book (a quick check of the benchmark itself). */
const ACCOUNTS = accountCount(process.env['CRASH_REPLAY_ACCOUNTS'] ?? '10000');
const STEPS = 10;
const SEED = 10_000;
const SETTLE_TIMEOUT_MS = 20 * 60_000;

function accountCount(raw: string): number {
  const count = Number(raw);
  if (!Number.isSafeInteger(count) || count < 10 || count > 100_000) {
    throw new RangeError('CRASH_REPLAY_ACCOUNTS must be an integer in [10, 100000]');
  }
  return count;
}

interface RateRow {
  readonly total: number;
  readonly seconds: number;
  readonly busiest: number;
}

/** Rows committed per second of `table` (timestamp column `column`), over the seconds that had any. */
async function ratePerSecond(dataSource: DataSource, sql: string): Promise<RateRow> {
  const [row] = (await dataSource.query(
    `SELECT coalesce(sum(count), 0)::int AS total, count(*)::int AS seconds, coalesce(max(count), 0)::int AS busiest
       FROM (${sql}) per_second`,
  )) as RateRow[];
  return row ?? { total: 0, seconds: 0, busiest: 0 };
}

async function main(): Promise<void> {
  const database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url });
  const dataSource = new DataSource({
    ...dataSourceOptions({
      database: { url: database.url, poolSizeMax: 4, statementTimeoutMs: 120_000, runMigrationsAtStart: false },
    }),
    logging: false,
  });
  await dataSource.initialize();
  let worker: Awaited<ReturnType<typeof spawnWorker>> | undefined;
  try {
    await migrateUp(dataSource);
    const buildStarted = Date.now();
    const market = await buildCrashMarket(dataSource, {
      accounts: ACCOUNTS,
      seed: SEED,
      liquidation: {
        penaltyFraction: '0.01',
        // Whole positions per slice: halving down to the 0.001 lot (the tests' 0.5) takes ~14 steps per
        // liquidation, which at 10,000 accounts is an hour of cool-downs on this machine.
        maxSliceFraction: '1',
        coolDownMs: 100,
        deficitMode: 'default-waterfall',
      },
      insuranceFundUsdc: '1000000',
      ccpCapitalUsdc: '1000000000',
    });
    await dataSource.query('ANALYZE');
    process.stdout.write(`book: ${ACCOUNTS} accounts, ${market.trades} trades in ${Date.now() - buildStarted} ms\n`);
    worker = await spawnWorker({
      databaseUrl: database.url,
      redisUrl: config.redis.url,
      queuePrefix: config.redis.queuePrefix,
    });
    const sampler = new QueueLagSampler(config.redis.url, config.redis.queuePrefix);
    const crashStarted = Date.now();
    sampler.start();
    await runCrash(dataSource, market, {
      steps: STEPS,
      settleTimeoutMs: SETTLE_TIMEOUT_MS,
      onStep: (step, settledAfterMs) => process.stdout.write(`step ${step}/${STEPS} settled in ${settledAfterMs} ms\n`),
    });
    await waitForSettledPipeline(dataSource, SETTLE_TIMEOUT_MS);
    const crashMs = Date.now() - crashStarted;
    await sampler.sample();
    await sampler.stop();
    const lag = sampler.summary();
    const outcome = await verifyCrashOutcome(dataSource, 'default-waterfall');
    const steps = await ratePerSecond(
      dataSource,
      `SELECT count(*) AS count FROM liquidation_step GROUP BY date_trunc('second', executed_at)`,
    );
    const runs = await ratePerSecond(
      dataSource,
      `SELECT count(*) AS count FROM margin_receipt
        WHERE id NOT IN (SELECT receipt_id FROM liquidation_step) AND computed_at >= $$${new Date(crashStarted).toISOString()}$$
        GROUP BY date_trunc('second', computed_at)`,
    );
    const rows: [string, string][] = [
      ['crash wall time', `${(crashMs / 1_000).toFixed(1)} s`],
      ['accounts breached', String(outcome.accountsBreached)],
      ['breaches / liquidations', `${outcome.breaches} / ${outcome.liquidations}`],
      ['liquidation steps committed', String(outcome.liquidationSteps)],
      [
        'liquidation steps / s',
        `${(steps.total / Math.max(1, steps.seconds)).toFixed(1)} mean over ${steps.seconds} busy s, ${steps.busiest} busiest s`,
      ],
      [
        'margin runs / s',
        `${(runs.total / Math.max(1, runs.seconds)).toFixed(1)} mean over ${runs.seconds} busy s, ${runs.busiest} busiest s`,
      ],
      ['queue lag (oldest waiting job)', `max ${lag.maxAgeMs} ms, p99 ${lag.p99AgeMs} ms over ${lag.samples} samples`],
      ['queue backlog (waiting + delayed)', `max ${lag.maxBacklog}, at the end ${JSON.stringify(lag.last)}`],
      ['deficits / uncovered', `${outcome.totals.deficits} / ${outcome.totals.uncovered} USDC`],
      ['penalties to the insurance fund', outcome.totals.penaltiesToInsuranceFund],
      ['insurance fund paid', outcome.totals.insuranceFundPaid],
      ['defaulter margin paid', outcome.totals.defaulterMarginPaid],
      ['CCP capital paid', outcome.totals.ccpCapitalPaid],
      ['default fund paid', outcome.totals.defaultFundPaid],
      ['ADL recovered', outcome.totals.adlRecovered],
      ['accounts left liquidating (for an operator)', String(outcome.accountsLeftLiquidating)],
      ['exactly-once problems', outcome.problems.length === 0 ? 'none' : outcome.problems.slice(0, 5).join('; ')],
      [
        'auditor',
        outcome.auditViolations.length === 0
          ? 'passes'
          : outcome.auditViolations.map((violation) => violation.check).join(', '),
      ],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    for (const [label, value] of rows) process.stdout.write(`${label.padEnd(width)}  ${value}\n`);
  } finally {
    if (worker !== undefined) await stopWorker(worker);
    await dataSource.destroy();
    await database.drop();
    await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
  }
}

await main();
