import type { NovationConfig } from '@novation/config';
import { Decimal } from '@novation/money';
import { dataSourceOptions, migrateUp } from '@novation/persistence';
import { createTestDatabase, deleteQueueKeys, testConfig, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import {
  QueueLagSampler,
  buildCrashMarket,
  runCrash,
  spawnWorker,
  stopWorker,
  verifyCrashOutcome,
  waitForSettledPipeline,
  type CrashMarket,
  type CrashOutcome,
  type WorkerProcess,
} from './crash-market.js';

/**
 * The crash replay of issue 6 at CI size, against the compiled worker as a child process: BTC and ETH fall
 * 40% in STEPS publications over a simulated 10 minutes; every breach must be liquidated exactly once,
 * nothing else touched, every decision terminal, every deficit absorbed exactly, the auditor clean, and
 * the queues drained at the end (queue lag sampled every 250 ms; the maximum is printed, not asserted).
 */
const ACCOUNTS = 250;
const STEPS = 8;
const SEED = 20_261_126;
const SETTLE_TIMEOUT_MS = 120_000;

describe('crash replay: BTC and ETH down 40% in steps, a real worker process', () => {
  let database: TestDatabase;
  let config: NovationConfig;
  let dataSource: DataSource;
  let market: CrashMarket;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({ DATABASE_URL: database.url });
    dataSource = new DataSource({
      ...dataSourceOptions({
        database: { url: database.url, poolSizeMax: 4, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
      }),
      logging: false,
    });
    await dataSource.initialize();
    await migrateUp(dataSource);
    market = await buildCrashMarket(dataSource, {
      accounts: ACCOUNTS,
      seed: SEED,
      // A short cool-down keeps the CI run short; slices of half a position, a 1% penalty.
      liquidation: {
        penaltyFraction: '0.01',
        maxSliceFraction: '0.5',
        coolDownMs: 100,
        deficitMode: 'default-waterfall',
      },
      // Small on purpose: the insurance fund runs dry and the waterfall's later layers pay.
      insuranceFundUsdc: '20000',
      ccpCapitalUsdc: '50000000',
    });
    worker = await spawnWorker({
      databaseUrl: database.url,
      redisUrl: config.redis.url,
      queuePrefix: config.redis.queuePrefix,
    });
  }, 300_000);

  afterAll(async () => {
    await sampler?.stop();
    if (worker !== undefined) await stopWorker(worker);
    await dataSource?.destroy();
    await database?.drop();
    if (config) await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
  });

  let sampler: QueueLagSampler | undefined;
  let outcome: CrashOutcome;
  let lag: ReturnType<QueueLagSampler['summary']>;

  it('replays the crash to a settled pipeline with the queues drained', async () => {
    sampler = new QueueLagSampler(config.redis.url, config.redis.queuePrefix);
    sampler.start();
    try {
      await runCrash(dataSource, market, { steps: STEPS, settleTimeoutMs: SETTLE_TIMEOUT_MS });
      await waitForSettledPipeline(dataSource, SETTLE_TIMEOUT_MS);
      await sampler.sample();
    } finally {
      await sampler.stop();
    }
    lag = sampler.summary();
    outcome = await verifyCrashOutcome(dataSource, 'default-waterfall');
    process.stdout.write(
      `crash replay: ${JSON.stringify({ ...outcome, auditViolations: outcome.auditViolations.length, problems: outcome.problems.slice(0, 5), lag })}\n`,
    );
    // Bounded: whatever piled up during the crash is gone once it settles.
    expect(lag.last).toMatchObject({ waiting: 0, delayed: 0, active: 0, oldestWaitingAgeMs: 0 });
  }, 600_000);

  it('liquidates every breach exactly once and nothing else', () => {
    expect(outcome.problems).toEqual([]);
    expect(outcome.breaches).toBeGreaterThan(0);
    expect(outcome.liquidations).toBe(outcome.breaches);
    expect(outcome.liquidationSteps).toBeGreaterThan(outcome.liquidations);
  });

  it('breaches exactly the accounts the arithmetic says: longs at 3x and more, never a short or a 2x long', async () => {
    // A long at leverage L holds notional/L of margin; 40% down loses 0.4 x notional: below zero for L >= 3,
    // while a 2x long keeps 10% of its opening notional against 60% of it at mark (IM 2%, MM 1%).
    const liquidated = new Set(
      ((await dataSource.query(`SELECT DISTINCT account_id FROM liquidation`)) as { account_id: string }[]).map(
        (row) => row.account_id,
      ),
    );
    const longs = market.accounts.filter((account) => account.profile === 'long');
    const shorts = market.accounts.filter((account) => account.profile === 'short');
    expect(longs.filter((account) => account.leverage >= 3 && !liquidated.has(account.id))).toEqual([]);
    expect(longs.filter((account) => account.leverage === 2 && liquidated.has(account.id))).toEqual([]);
    expect(shorts.filter((account) => liquidated.has(account.id))).toEqual([]);
    expect(market.marketMakers.filter((id) => liquidated.has(id))).toEqual([]);
  });

  it('absorbs the deficits exactly through the insurance fund and the waterfall, and the auditor passes', () => {
    expect(outcome.auditViolations).toEqual([]);
    expect(outcome.adlCounterpartyAccounts).toBe(0);
    expect(new Decimal(outcome.totals.deficits).greaterThan(0)).toBe(true);
    // The fund held 20,000 plus the penalties it collected; the deficits were larger, so it paid out and
    // the clearinghouse's capital took the rest (no default-fund contributions are posted in this book).
    expect(new Decimal(outcome.totals.insuranceFundPaid).greaterThan(0)).toBe(true);
    expect(new Decimal(outcome.totals.ccpCapitalPaid).greaterThan(0)).toBe(true);
    expect(outcome.totals.uncovered).toBe('0');
    // Every liquidation ends the account healthy or under a call: options and other assets are closed and
    // converted too, so none is left for an operator.
    expect(outcome.accountsLeftLiquidating).toBe(0);
  });
});
