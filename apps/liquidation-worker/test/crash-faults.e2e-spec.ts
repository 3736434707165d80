import type { NovationConfig } from '@novation/config';
import { QueueName, liquidationJobId, outboxJobId } from '@novation/jobs';
import { Decimal } from '@novation/money';
import { dataSourceOptions, migrateUp } from '@novation/persistence';
import { createTestDatabase, deleteQueueKeys, testConfig, type TestDatabase } from '@novation/testing';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import {
  QueueLagSampler,
  buildCrashMarket,
  pipelineBacklog,
  runCrash,
  seededRandom,
  spawnWorker,
  stopWorker,
  verifyCrashOutcome,
  waitForSettledPipeline,
  type CrashMarket,
  type CrashOutcome,
  type WorkerEnvironment,
  type WorkerProcess,
} from './crash-market.js';

/**
 * The crash replay under faults, against the compiled worker as a child process:
 * - SIGKILL at least KILLS_MIN times, each after a seeded random 50..1,500 ms of work, restarted each time.
 *   The kills land wherever the worker is: between jobs, inside a margin run or liquidation step
 *   transaction (PostgreSQL rolls it back), after a commit. One kill in AFTER_COMMIT_EVERY is placed
 *   exactly after a commit and before the job is acknowledged: the test row-locks the enqueued outbox
 *   events, so a job that has committed its work (the final liquidation step, or every margin run of a
 *   margin-check job) blocks on marking its event done; the test sees that UPDATE waiting in
 *   pg_stat_activity and kills the worker there. On restart the job runs again and must write nothing twice.
 * - One deletion of every Redis key under the test's queue prefix while the worker runs (never FLUSHALL:
 *   Redis is shared): waiting, active and delayed jobs vanish, and the reconciler must re-dispatch them from
 *   the outbox.
 * - One lock-expiry takeover: worker A is SIGSTOPped while it holds jobs, their locks expire, worker B takes
 *   them over, then A is resumed (it carries on with a lock it no longer owns) and is finally killed.
 *
 * Lock expiry is emulated, not waited for: the worker's lock lasts 60 s (renewed every 30 s) and BullMQ's
 * stall check runs every 30 s, so a real expiry costs 60-90 s per kill. The test deletes the lock keys of
 * the jobs a dead (or stopped) worker held, which is exactly what the passing of lockDuration does, and
 * runs BullMQ's own stall check every 500 ms from a processor-less Worker (startStalledCheckTimer), which is
 * what any worker's checker does every stalledInterval. A live worker's jobs keep their locks and are never
 * moved. Everything else (redelivery, maxStalledCount, failed jobs, the reconciler) is the product's.
 */
const ACCOUNTS = 60;
const STEPS = 5;
const SEED = 20_261_127;
const KILLS_MIN = 50;
const AFTER_COMMIT_EVERY = 10;
const FLUSH_AT_KILL = 20;
const TAKEOVER_AT_KILL = 35;
/** How long one takeover attempt waits for a running job before letting the kills go on. */
const TAKEOVER_WAIT_MS = 3_000;
const SETTLE_TIMEOUT_MS = 400_000;
const BLOCKED_WAIT_MS = 15_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('crash replay under SIGKILL, a Redis flush and a lock takeover', () => {
  let database: TestDatabase;
  let config: NovationConfig;
  let dataSource: DataSource;
  let market: CrashMarket;
  let environment: WorkerEnvironment;
  let redis: Redis;
  let stallChecks: Worker[] = [];
  const workers = new Set<WorkerProcess>();

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({ DATABASE_URL: database.url });
    environment = { databaseUrl: database.url, redisUrl: config.redis.url, queuePrefix: config.redis.queuePrefix };
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
      // Auto-deleveraging here (the replay test covers the waterfall): a thin insurance fund, then the
      // market makers' profitable shorts give up the rest.
      liquidation: {
        penaltyFraction: '0.01',
        maxSliceFraction: '0.5',
        coolDownMs: 100,
        deficitMode: 'auto-deleveraging',
      },
      insuranceFundUsdc: '5000',
      ccpCapitalUsdc: '0',
    });
    redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1 });
    stallChecks = [QueueName.Margin, QueueName.Liquidation].map(
      (name) =>
        new Worker(name, undefined, {
          connection: { url: config.redis.url, maxRetriesPerRequest: null },
          prefix: config.redis.queuePrefix,
          autorun: false,
          stalledInterval: 500,
          maxStalledCount: 1,
        }),
    );
    for (const checker of stallChecks) void checker.startStalledCheckTimer();
  }, 300_000);

  afterAll(async () => {
    await sampler?.stop();
    for (const worker of workers) await stopWorker(worker, 'SIGKILL');
    await Promise.all(stallChecks.map((checker) => checker.close()));
    redis?.disconnect();
    await dataSource?.destroy();
    await database?.drop();
    if (config) await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
  });

  async function start(): Promise<WorkerProcess> {
    const worker = await spawnWorker(environment);
    workers.add(worker);
    return worker;
  }

  async function kill(worker: WorkerProcess, signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
    await stopWorker(worker, signal);
    workers.delete(worker);
  }

  /** The jobs active on either queue right now. */
  async function activeJobs(): Promise<{ queue: string; id: string }[]> {
    const found: { queue: string; id: string }[] = [];
    for (const name of [QueueName.Margin, QueueName.Liquidation]) {
      const ids = await redis.lrange(`${config.redis.queuePrefix}:${name}:active`, 0, -1);
      found.push(...ids.map((id) => ({ queue: name, id })));
    }
    return found;
  }

  /**
   * What lockDuration passing does to a dead or frozen worker's jobs: their locks are gone. So is each
   * queue's `stalled-check` key: a worker's stall check claims it for its stalledInterval (30 s, shorter
   * than the lock), and while it stands no other check runs, this test's 500 ms checker included.
   */
  async function expireLocks(jobs: readonly { queue: string; id: string }[]): Promise<void> {
    for (const job of jobs) await redis.del(`${config.redis.queuePrefix}:${job.queue}:${job.id}:lock`);
    await expireStallChecks(jobs);
  }

  /** Lets the next stall check run now, whichever worker's check last claimed the interval. */
  async function expireStallChecks(jobs: readonly { queue: string }[]): Promise<void> {
    for (const queue of new Set(jobs.map((job) => job.queue))) {
      await redis.del(`${config.redis.queuePrefix}:${queue}:stalled-check`);
    }
  }

  /**
   * Kills `worker` right after a job committed its work and before it is acknowledged: holds the enqueued
   * outbox events' rows, waits for the worker's "mark done" UPDATE to block on one, kills, releases.
   * Returns whether the kill landed there (false: nothing reached that point in time; killed anyway).
   */
  async function killAfterCommitBeforeAck(worker: WorkerProcess): Promise<boolean> {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    let blocked = false;
    try {
      await runner.query(`SELECT id FROM outbox_event WHERE status = 'enqueued' FOR UPDATE SKIP LOCKED`);
      const deadline = Date.now() + BLOCKED_WAIT_MS;
      while (!blocked && Date.now() < deadline) {
        const waiting = (await dataSource.query(
          `SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'
              AND query LIKE 'UPDATE outbox_event SET status = ''done''%'`,
        )) as { pid: number }[];
        blocked = waiting.length > 0;
        if (!blocked) await sleep(10);
      }
      await kill(worker);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
    return blocked;
  }

  interface FaultLog {
    kills: number;
    killsWithBacklog: number;
    afterCommitKills: number;
    flushedKeys: number;
    takeover: { jobs: string[]; movedBack: number } | null;
  }

  /**
   * Null, changing nothing, when no job is running within TAKEOVER_WAIT_MS (the caller tries again later).
   * Worker A is frozen (SIGSTOP) while it holds at least one job; its locks expire; worker B starts and the
   * stall check hands A's jobs back to the queue for B; A is resumed for a while (it finishes what it was
   * doing, and its acknowledgement is refused: the lock is B's), then killed. Returns B.
   */
  async function takeover(a: WorkerProcess, log: FaultLog): Promise<WorkerProcess | null> {
    const deadline = Date.now() + TAKEOVER_WAIT_MS;
    let held = await activeJobs();
    while (held.length === 0 && Date.now() < deadline) {
      await sleep(5);
      held = await activeJobs();
    }
    // Nothing running at the moment (the pipeline between steps): try again at a later kill.
    if (held.length === 0) return null;
    a.child.kill('SIGSTOP');
    held = await activeJobs();
    if (held.length === 0) {
      // It finished the job between the two reads: resume it and try again later.
      a.child.kill('SIGCONT');
      return null;
    }
    await expireLocks(held);
    const b = await start();
    // The stall check moves A's jobs back to wait within two of its passes; B takes them.
    const moved = async () => {
      const stillActive = new Set((await activeJobs()).map((job) => `${job.queue}:${job.id}`));
      const queue = (name: string) =>
        new Queue(name, { connection: { url: config.redis.url }, prefix: config.redis.queuePrefix });
      let counted = 0;
      for (const job of held) {
        const owner = queue(job.queue);
        const found = await owner.getJob(job.id);
        if ((found?.stalledCounter ?? 0) >= 1 || found === undefined || !stillActive.has(`${job.queue}:${job.id}`)) {
          counted += 1;
        }
        await owner.close();
      }
      return counted;
    };
    const until = Date.now() + 20_000;
    let movedBack = await moved();
    while (movedBack < held.length && Date.now() < until) {
      // Worker B's own stall check at boot claims a 30 s interval: the emulated expiry lets ours run.
      await expireStallChecks(held);
      await sleep(100);
      movedBack = await moved();
    }
    log.takeover = { jobs: held.map((job) => `${job.queue}:${job.id}`), movedBack };
    await sleep(1_000);
    a.child.kill('SIGCONT');
    await sleep(1_500);
    await kill(a);
    log.kills += 1;
    return b;
  }

  /** The events still open and what Redis holds of their jobs: the failure message of a stuck replay. */
  async function openEvents(): Promise<unknown[]> {
    const rows = (await dataSource.query(
      `SELECT id, kind, status, attempts, last_error, payload FROM outbox_event WHERE status <> 'done' LIMIT 20`,
    )) as { id: string; kind: string; payload: { accountId?: string; liquidationId?: string } }[];
    const described: unknown[] = [];
    for (const row of rows) {
      const jobId =
        row.kind === 'liquidation'
          ? liquidationJobId(row.payload.accountId ?? '', row.payload.liquidationId ?? '')
          : outboxJobId(row.id);
      const queue = row.kind === 'liquidation' ? QueueName.Liquidation : QueueName.Margin;
      const key = `${config.redis.queuePrefix}:${queue}:${jobId}`;
      const owner = new Queue(queue, { connection: { url: config.redis.url }, prefix: config.redis.queuePrefix });
      described.push({ ...row, jobId, hash: await redis.hgetall(key), state: await owner.getJobState(jobId) });
      await owner.close();
    }
    return described;
  }

  let sampler: QueueLagSampler | undefined;
  let outcome: CrashOutcome;
  let faults: FaultLog;
  let lag: ReturnType<QueueLagSampler['summary']>;

  it('replays the crash while the worker is killed, Redis keys vanish and a lock is taken over', async () => {
    const random = seededRandom(SEED + 1);
    const log: FaultLog = { kills: 0, killsWithBacklog: 0, afterCommitKills: 0, flushedKeys: 0, takeover: null };
    faults = log;
    let crashDone = false;
    let loopError: unknown;
    sampler = new QueueLagSampler(config.redis.url, config.redis.queuePrefix);
    sampler.start();
    let worker = await start();

    const faultLoop = (async () => {
      while (log.kills < KILLS_MIN && !crashDone) {
        const backlog = await pipelineBacklog(dataSource);
        if (backlog.openEvents + backlog.activeLiquidations > 0) log.killsWithBacklog += 1;
        if (log.kills >= TAKEOVER_AT_KILL && log.takeover === null) {
          // Attempted from this kill on until a job is held at the moment of the freeze.
          const taken = await takeover(worker, log);
          if (taken !== null) {
            worker = taken;
            continue;
          }
        }
        await sleep(50 + Math.floor(random() * 1_450));
        if (log.kills === FLUSH_AT_KILL && log.flushedKeys === 0) {
          // Scoped to the test's own prefix, while the worker runs. The reconciler (a pass at every boot,
          // then every 5 s) re-dispatches what vanished once it has been enqueued for 30 s.
          log.flushedKeys = await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
          await sleep(50 + Math.floor(random() * 1_450));
        }
        const held = await activeJobs().catch(() => []);
        // Aimed at a commit only while liquidations run (a margin-check job of a whole step is long).
        const afterCommitDue = log.afterCommitKills < Math.floor((log.kills + 1) / AFTER_COMMIT_EVERY);
        if (afterCommitDue && backlog.activeLiquidations > 0) {
          if (await killAfterCommitBeforeAck(worker)) log.afterCommitKills += 1;
        } else {
          await kill(worker);
        }
        log.kills += 1;
        // Everything the dead worker held, plus anything it took between the read and the kill.
        await expireLocks([...held, ...(await activeJobs())]);
        worker = await start();
      }
    })().catch((error: unknown) => {
      loopError = error;
    });

    try {
      const killsPerStep = Math.ceil(KILLS_MIN / STEPS);
      await runCrash(dataSource, market, {
        steps: STEPS,
        settleTimeoutMs: SETTLE_TIMEOUT_MS,
        // Hold the crash until this step has had its share of kills, so they spread over every step.
        beforeNextStep: async (step) => {
          while (log.kills < Math.min(KILLS_MIN, step * killsPerStep) && loopError === undefined) await sleep(100);
        },
      });
      while (log.kills < KILLS_MIN && loopError === undefined) await sleep(100);
    } catch (error) {
      throw new Error(
        `${String(error)}\nfaults ${JSON.stringify(log)}\nopen events ${JSON.stringify(await openEvents())}`,
      );
    } finally {
      crashDone = true;
      await faultLoop;
    }
    if (loopError !== undefined) throw loopError;
    // One healthy worker finishes the work.
    await waitForSettledPipeline(dataSource, SETTLE_TIMEOUT_MS).catch(async (error: unknown) => {
      throw new Error(
        `${String(error)}\nfaults ${JSON.stringify(log)}\nopen events ${JSON.stringify(await openEvents())}`,
      );
    });
    await sampler.sample();
    await sampler.stop();
    lag = sampler.summary();
    outcome = await verifyCrashOutcome(dataSource, 'auto-deleveraging');
    process.stdout.write(
      `crash faults: ${JSON.stringify({ faults: log, ...outcome, auditViolations: outcome.auditViolations.length, problems: outcome.problems.slice(0, 5), lag })}\n`,
    );
    expect(lag.last).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
  }, 1_200_000);

  it('went through every fault it promised', () => {
    expect(faults.kills).toBeGreaterThanOrEqual(KILLS_MIN);
    expect(faults.afterCommitKills).toBeGreaterThanOrEqual(1);
    expect(faults.flushedKeys).toBeGreaterThan(0);
    expect(faults.takeover?.jobs.length).toBeGreaterThan(0);
    expect(faults.takeover?.movedBack).toBe(faults.takeover?.jobs.length);
  });

  it('still applies every liquidation exactly once, leaves no decision open and keeps the ledger balanced', () => {
    expect(outcome.problems).toEqual([]);
    expect(outcome.auditViolations).toEqual([]);
    expect(outcome.breaches).toBeGreaterThan(0);
    expect(outcome.liquidations).toBe(outcome.breaches);
    // Auto-deleveraging covers every deficit to the unit: the liquidation account's side of each match is
    // rounded towards covering it (it once lost 0.000021 USDC over 32 liquidations to payout rounding).
    expect(new Decimal(outcome.totals.uncovered).isZero()).toBe(true);
    expect(outcome.accountsLeftLiquidating).toBe(0);
  });

  it('breaches the same accounts the arithmetic says: every long at 3x and more, never a short', async () => {
    const liquidated = new Set(
      ((await dataSource.query(`SELECT DISTINCT account_id FROM liquidation`)) as { account_id: string }[]).map(
        (row) => row.account_id,
      ),
    );
    const longs = market.accounts.filter((account) => account.profile === 'long');
    expect(longs.filter((account) => account.leverage >= 3 && !liquidated.has(account.id))).toEqual([]);
    expect(longs.filter((account) => account.leverage === 2 && liquidated.has(account.id))).toEqual([]);
    expect(market.accounts.filter((account) => account.profile === 'short' && liquidated.has(account.id))).toEqual([]);
  });
});
