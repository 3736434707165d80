/**
 * Liquidations committed per second (real-time margining issue: goal >= 20,000 accounts per second with
 * batching). A crash book of LIQUIDATION_BENCH_ACCOUNTS member accounts (2,000 by default; the crash
 * replay's book: leveraged BTC and ETH perpetuals, the dated future, options; apps/liquidation-worker/test/
 * crash-market.ts) is built through the real trade and ledger paths, BTC-USD and ETH-USD fall 40% (in four
 * publications), and every account is re-margined, which opens one liquidation per breach. The database is
 * then copied (CREATE DATABASE ... TEMPLATE), and each copy drives every liquidation to its end, timed:
 * - one by one: executeLiquidationStep, one transaction per step, LIQUIDATION_QUEUE_CONCURRENCY at a time
 *   (how the worker ran before batching; skipped with LIQUIDATION_BENCH_PATHS=batched);
 * - batched: LIQUIDATION_BENCH_RUNNERS (2) loops calling executeLiquidationSteps with claimDue, up to
 *   LIQUIDATION_BATCH_MAX liquidations per transaction, as the worker's jobs claim them;
 * - batched in LIQUIDATION_BENCH_PROCESSES (2) processes at once on a third copy, as several workers would,
 *   timed once they are all loaded and connected (1 skips it).
 * The bench's parameters have no cool-down and close whole positions, so most liquidations take one slice
 * and a final step. Printed per path: liquidations and steps per second, the CPU time per liquidation of
 * this Node process and of the database's PostgreSQL backends (steadier than wall-clock rates on a shared
 * machine, and what bounds the rate: 2 cores / CPU per liquidation), and the auditor's verdict; before that,
 * the margin runs over the book, one transaction per account and batched (marginAccounts). Measures only:
 * never fails on timing.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { LIQUIDATION_QUEUE_CONCURRENCY } from '@novation/jobs';
import {
  auditInvariants,
  dataSourceOptions,
  LIQUIDATION_BATCH_MAX,
  executeLiquidationStep,
  executeLiquidationSteps,
  marginAccount,
  marginAccounts,
  migrateUp,
} from '@novation/persistence';
import { cloneTestDatabase, createTestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { nodeCpuMs, postgresCpuBetween, postgresCpuMs } from './cpu-time.js';
import { buildCrashMarket } from '../../apps/liquidation-worker/test/crash-market.js';

const ACCOUNTS = accountCount(process.env['LIQUIDATION_BENCH_ACCOUNTS'] ?? '2000');
const SEED = 20_000;
const MARGIN_CONCURRENCY = 4;
const CRASH_PUBLICATIONS = 4;
/** Accounts per margin-check job (the outbox's slices are of about this size). */
const MARGIN_CHECK_JOB_ACCOUNTS = 500;
const STEPS_PER_LIQUIDATION_MAX = 100;

function accountCount(raw: string): number {
  const count = Number(raw);
  if (!Number.isSafeInteger(count) || count < 10 || count > 100_000) {
    throw new RangeError('LIQUIDATION_BENCH_ACCOUNTS must be an integer in [10, 100000]');
  }
  return count;
}

/** Runs `work` over `items`, `concurrency` at a time. */
async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  });
  await Promise.all(runners);
}

/** LIQUIDATION_BENCH_PATHS=batched skips the one-by-one path (to profile the batched one alone). */
const ONE_BY_ONE = (process.env['LIQUIDATION_BENCH_PATHS'] ?? 'all') !== 'batched';

/** The batched path's concurrent runners (one transaction each at a time). */
const BATCH_RUNNERS = runnerCount(process.env['LIQUIDATION_BENCH_RUNNERS'] ?? '2');

function runnerCount(raw: string): number {
  const count = Number(raw);
  if (!Number.isSafeInteger(count) || count < 1 || count > 16) {
    throw new RangeError('LIQUIDATION_BENCH_RUNNERS must be an integer in [1, 16]');
  }
  return count;
}

/** CPU readings at the start of a timed path: this process's and the database backends'. */
async function cpuMark(dataSource: DataSource) {
  return { node: nodeCpuMs(), postgres: await postgresCpuMs(dataSource) };
}

async function resultRow(
  path: string,
  dataSource: DataSource,
  liquidations: number,
  steps: number,
  elapsedMs: number,
  unfinished: number,
  cpu: Awaited<ReturnType<typeof cpuMark>>,
): Promise<string[]> {
  const seconds = elapsedMs / 1000;
  const nodeMs = nodeCpuMs() - cpu.node;
  const postgresMs = postgresCpuBetween(cpu.postgres, await postgresCpuMs(dataSource));
  const perLiquidation = (ms: number | null) => (ms === null ? 'n/a' : String(Math.round((ms * 1000) / liquidations)));
  const violations = await auditInvariants(dataSource.manager);
  return [
    path.padEnd(14),
    String(liquidations).padStart(12),
    String(steps).padStart(5),
    seconds.toFixed(1).padStart(7),
    (liquidations / seconds).toFixed(1).padStart(14),
    (steps / seconds).toFixed(1).padStart(7),
    String(unfinished).padStart(10),
    perLiquidation(nodeMs).padStart(9),
    perLiquidation(postgresMs).padStart(7),
    violations.length === 0 ? 'passed' : `failed: ${violations.map((violation) => violation.check).join(', ')}`,
  ];
}

/**
 * `runners` loops, each stepping every due liquidation it can claim (executeLiquidationSteps with claimDue,
 * LIQUIDATION_BATCH_MAX per transaction) until none is left. Returns the steps committed and the polls
 * that found nothing to claim while another runner still held some.
 */
async function runBatched(
  dataSource: DataSource,
  runners: number,
  liquidations: number,
): Promise<{ steps: number; idle: number }> {
  let steps = 0;
  let idle = 0;
  const active = async () =>
    (
      (await dataSource.query(
        `SELECT count(*)::int AS count FROM liquidation WHERE status IN ('pending', 'in_progress')`,
      )) as { count: number }[]
    )[0]?.count ?? 0;
  await Promise.all(
    Array.from({ length: runners }, async () => {
      for (let round = 0; round < liquidations * STEPS_PER_LIQUIDATION_MAX; round += 1) {
        const { outcomes, failures } = await executeLiquidationSteps(dataSource, [], Date.now(), {
          claimDue: LIQUIDATION_BATCH_MAX,
        });
        if (failures.size > 0) {
          throw new Error(`${failures.size} liquidations failed: ${[...failures.values()][0]?.message}`);
        }
        for (const outcome of outcomes.values()) {
          if (outcome.status === 'slice' || outcome.status === 'completed') steps += 1;
        }
        if (outcomes.size > 0) continue;
        // Nothing claimable: done unless another runner still holds some.
        if ((await active()) === 0) return;
        idle += 1;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }),
  );
  return { steps, idle };
}

/**
 * LIQUIDATION_BENCH_PROCESSES > 1 also runs the batched path in that many worker processes at once (each
 * with BATCH_RUNNERS runners, all claiming from one copy of the book), as several liquidation workers
 * would: whether the rate scales with processes while the CPU per liquidation stays put.
 */
const PROCESSES = processCount(process.env['LIQUIDATION_BENCH_PROCESSES'] ?? '2');

function processCount(raw: string): number {
  const count = Number(raw);
  if (!Number.isSafeInteger(count) || count < 1 || count > 16) {
    throw new RangeError('LIQUIDATION_BENCH_PROCESSES must be an integer in [1, 16]');
  }
  return count;
}

/** In a worker process of the multi-process path: run the batched loop on CHILD_DATABASE_URL, report. */
const CHILD_DATABASE_URL = process.env['LIQUIDATION_BENCH_CHILD_DATABASE_URL'];

async function child(url: string): Promise<void> {
  const dataSource = new DataSource({
    ...dataSourceOptions({
      database: { url, poolSizeMax: 8, statementTimeoutMs: 120_000, runMigrationsAtStart: false },
    }),
    logging: false,
  });
  await dataSource.initialize();
  try {
    // Loaded and connected: wait for the parent's go, so start-up is not timed.
    process.stdout.write('ready\n');
    await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
    const cpuBefore = nodeCpuMs();
    const { steps } = await runBatched(dataSource, BATCH_RUNNERS, ACCOUNTS);
    process.stdout.write(`${JSON.stringify({ steps, nodeCpuMs: nodeCpuMs() - cpuBefore })}\n`);
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Runs PROCESSES worker processes of the batched path on `url` at once, timed from the moment all of them
 * are loaded and connected: steps, their Node CPU (summed) and the elapsed time.
 */
async function runProcesses(url: string): Promise<{ steps: number; nodeCpuMs: number; elapsedMs: number }> {
  const workers = Array.from({ length: PROCESSES }, () => {
    const worker = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, LIQUIDATION_BENCH_CHILD_DATABASE_URL: url },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let output = '';
    let onReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      onReady = resolve;
    });
    worker.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('ready\n')) onReady();
    });
    const done = new Promise<{ steps: number; nodeCpuMs: number }>((resolve, reject) => {
      worker.on('error', reject);
      worker.on('exit', (code) => {
        if (code !== 0) reject(new Error(`bench worker exited with ${String(code)}`));
        else resolve(JSON.parse(output.trim().split('\n').pop() ?? '{}') as { steps: number; nodeCpuMs: number });
      });
    });
    return { worker, ready, done };
  });
  await Promise.all(workers.map(({ ready }) => ready));
  const started = performance.now();
  for (const { worker } of workers) worker.stdin.end('go\n');
  const results = await Promise.all(workers.map(({ done }) => done));
  return {
    steps: results.reduce((sum, result) => sum + result.steps, 0),
    nodeCpuMs: results.reduce((sum, result) => sum + result.nodeCpuMs, 0),
    elapsedMs: performance.now() - started,
  };
}

async function main(): Promise<void> {
  const database = await createTestDatabase();
  const dataSource = new DataSource({
    ...dataSourceOptions({
      database: { url: database.url, poolSizeMax: 8, statementTimeoutMs: 120_000, runMigrationsAtStart: false },
    }),
    logging: false,
  });
  await dataSource.initialize();
  try {
    await migrateUp(dataSource);
    const market = await buildCrashMarket(dataSource, {
      accounts: ACCOUNTS,
      seed: SEED,
      liquidation: { penaltyFraction: '0.005', maxSliceFraction: '1', coolDownMs: 0, deficitMode: 'auto-deleveraging' },
      insuranceFundUsdc: '1000000000',
      ccpCapitalUsdc: '1000000000',
    });
    // In four publications: one 40% move would take option premiums outside the market-data band.
    const crashAt = Date.now() - 10_000;
    for (let step = 1; step <= CRASH_PUBLICATIONS; step += 1) {
      await market.publishStep(step, CRASH_PUBLICATIONS, crashAt + step * 1_000);
    }
    // The margin runs that open the liquidations, one transaction per account (4 at a time); then the same
    // accounts again, batched as the worker's margin checks run them (marginAccounts), for comparison.
    const marginAt = Date.now();
    const singleStarted = performance.now();
    await pool(market.accounts, MARGIN_CONCURRENCY, async (account) => {
      await marginAccount(dataSource, account.id, marginAt);
    });
    const singleSeconds = (performance.now() - singleStarted) / 1000;
    const batches: (readonly string[])[] = [];
    for (let start = 0; start < market.accounts.length; start += MARGIN_CHECK_JOB_ACCOUNTS) {
      batches.push(market.accounts.slice(start, start + MARGIN_CHECK_JOB_ACCOUNTS).map((account) => account.id));
    }
    const batchedStarted = performance.now();
    await pool(batches, MARGIN_CONCURRENCY, async (accountIds) => {
      const outcome = await marginAccounts(dataSource, accountIds, marginAt + 1);
      if (outcome.failures.size > 0) throw new Error(`${outcome.failures.size} accounts not margined`);
    });
    const batchedSeconds = (performance.now() - batchedStarted) / 1000;
    console.log(
      `Margin runs over ${ACCOUNTS.toLocaleString('en-US')} accounts, ${MARGIN_CONCURRENCY} at a time: one transaction per ` +
        `account ${(ACCOUNTS / singleSeconds).toFixed(0)} accounts/s; batched (marginAccounts, jobs of ` +
        `${MARGIN_CHECK_JOB_ACCOUNTS}) ${(ACCOUNTS / batchedSeconds).toFixed(0)} accounts/s ` +
        `(x${(singleSeconds / batchedSeconds).toFixed(1)}).`,
    );
    // Both paths start from the same book: a copy of this database (CREATE DATABASE ... TEMPLATE) gets the
    // batched path, this one the step-by-step path.
    await dataSource.destroy();
    const copy = await cloneTestDatabase(database, 'copy');
    const processesCopy = PROCESSES > 1 ? await cloneTestDatabase(database, 'processes') : null;
    await dataSource.initialize();
    const batchedSource = new DataSource({
      ...dataSourceOptions({
        database: { url: copy.url, poolSizeMax: 8, statementTimeoutMs: 120_000, runMigrationsAtStart: false },
      }),
      logging: false,
    });
    await batchedSource.initialize();
    try {
      const pending: { id: string }[] = await dataSource.query(
        `SELECT id FROM liquidation WHERE status = 'pending' ORDER BY id`,
      );
      const rows: string[][] = [];
      // One by one: each liquidation driven to its end by executeLiquidationStep, as the worker's processor
      // did before batching, LIQUIDATION_QUEUE_CONCURRENCY at a time.
      let steps = 0;
      let unfinished = 0;
      let cpu = await cpuMark(dataSource);
      let started = performance.now();
      if (ONE_BY_ONE) {
        await pool(pending, LIQUIDATION_QUEUE_CONCURRENCY, async ({ id }) => {
          for (let step = 0; step < STEPS_PER_LIQUIDATION_MAX; step += 1) {
            const outcome = await executeLiquidationStep(dataSource, id, Date.now());
            if (outcome.status === 'slice' || outcome.status === 'completed') steps += 1;
            if (outcome.status === 'completed' || outcome.status === 'finished') return;
          }
          unfinished += 1;
        });
        rows.push(
          await resultRow(
            'one by one',
            dataSource,
            pending.length,
            steps,
            performance.now() - started,
            unfinished,
            cpu,
          ),
        );
      }
      // Batched: BATCH_RUNNERS loops each stepping every due liquidation it can claim, LIQUIDATION_BATCH_MAX
      // per transaction (executeLiquidationSteps with claimDue), until none is left.
      steps = 0;
      cpu = await cpuMark(batchedSource);
      started = performance.now();
      const run = await runBatched(batchedSource, BATCH_RUNNERS, pending.length);
      steps = run.steps;
      const idle = run.idle;
      const [left] = (await batchedSource.query(
        `SELECT count(*)::int AS count FROM liquidation WHERE status IN ('pending', 'in_progress')`,
      )) as { count: number }[];
      rows.push(
        await resultRow(
          `batched x${BATCH_RUNNERS}`,
          batchedSource,
          pending.length,
          steps,
          performance.now() - started,
          left?.count ?? 0,
          cpu,
        ),
      );
      if (processesCopy !== null) {
        const processesSource = new DataSource({
          ...dataSourceOptions({
            database: {
              url: processesCopy.url,
              poolSizeMax: 2,
              statementTimeoutMs: 120_000,
              runMigrationsAtStart: false,
            },
          }),
          logging: false,
        });
        await processesSource.initialize();
        try {
          // The workers' own backends are gone when they exit: PostgreSQL CPU is not read for this path.
          const run = await runProcesses(processesCopy.url);
          const [leftOver] = (await processesSource.query(
            `SELECT count(*)::int AS count FROM liquidation WHERE status IN ('pending', 'in_progress')`,
          )) as { count: number }[];
          const row = await resultRow(
            `batched ${PROCESSES} proc`,
            processesSource,
            pending.length,
            run.steps,
            run.elapsedMs,
            leftOver?.count ?? 0,
            { node: 0, postgres: null },
          );
          // Node CPU: the worker processes' own (this process only waited).
          row[7] = String(Math.round((run.nodeCpuMs * 1000) / pending.length)).padStart(9);
          rows.push(row);
        } finally {
          await processesSource.destroy();
        }
      }
      console.log(
        `Liquidation throughput: ${ACCOUNTS.toLocaleString('en-US')} accounts, 40% crash, ` +
          `${pending.length.toLocaleString('en-US')} liquidations opened. One by one: ${LIQUIDATION_QUEUE_CONCURRENCY} at a ` +
          'time (the worker queue concurrency), one transaction per step (executeLiquidationStep). Batched: ' +
          `${BATCH_RUNNERS} runners, up to ${LIQUIDATION_BATCH_MAX} liquidations per transaction (executeLiquidationSteps); ` +
          `${idle} idle polls.`,
      );
      console.log(
        [
          'path'.padEnd(14),
          'liquidations',
          'steps',
          'seconds',
          'liquidations/s',
          'steps/s',
          'unfinished',
          'node µs/l',
          'PG µs/l',
          'auditor',
        ].join(' | '),
      );
      for (const row of rows) console.log(row.join(' | '));
    } finally {
      await batchedSource.destroy();
      await copy.drop();
      await processesCopy?.drop();
    }
  } finally {
    await dataSource.destroy();
    await database.drop();
  }
}

if (CHILD_DATABASE_URL === undefined) await main();
else await child(CHILD_DATABASE_URL);
