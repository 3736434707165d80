/**
 * Benchmark of trade novation on real PostgreSQL (submitTrades of libs/persistence/src/trades): creates its
 * own database (createTestDatabase, DATABASE_URL's server), migrates, seeds the demo market, adds 10,000
 * member accounts with USDC deposits, then clears BTC-PERP trades with fees:
 * - one account pair (every trade locks the same two positions) and trades spread over the 10k accounts;
 * - batched (atomic batches of 500, the multi-row fast path; "max" = TRADES_PER_BATCH_MAX per batch) and
 *   unbatched (one trade per call/transaction); "x2" keeps two batches in flight on two connections.
 * Prints trades/s, ledger postings/s, and per-core figures: Node and PostgreSQL share this machine's cores,
 * so the per-core figure divides by all of them. Also the CPU time per trade of this Node process and, when
 * the server runs on this machine (its backends' /proc entries are readable), of the bench's PostgreSQL
 * backends: on a machine shared with other work, wall-clock rates vary by tens of percent from run to run,
 * CPU time per trade far less, so two builds compare on it. The database is dropped at the end, even on
 * error. Seeded, so two runs submit the same trades. Measures only; never fails on timing.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Decimal } from '@novation/money';
import {
  AccountEntity,
  InstrumentEntity,
  VenueEntity,
  dataSourceOptions,
  migrateUp,
  postJournalEntries,
  seedDemoMarket,
  TRADES_PER_BATCH_MAX,
  submitTrades,
} from '@novation/persistence';
import { createTestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { nodeCpuMs, postgresCpuBetween, postgresCpuMs } from './cpu-time.js';

const ACCOUNT_COUNT = 10_000;
const DEPOSIT_USDC = '10000000';
const DEPOSIT_POSTINGS_PER_ENTRY = 1_000;
const BATCH_SIZE = 500;
const BATCHED_TRADES = 10_000;
const UNBATCHED_TRADES = 1_000;
const SEED_TIME = new Date('2026-11-25T12:00:00Z');
const NOW = SEED_TIME.getTime() + 3_600_000;

/** mulberry32: a tiny seeded PRNG, so the trades are the same on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Market {
  readonly dataSource: DataSource;
  readonly venueId: string;
  readonly instrumentId: string;
  readonly accountIds: readonly string[];
}

async function createAccounts(dataSource: DataSource): Promise<string[]> {
  const custody = await dataSource.manager.findOneByOrFail(AccountEntity, { houseRole: 'custody' });
  return dataSource.transaction(async (manager) => {
    const [firm]: ({ id: string } | undefined)[] = await manager.query(
      `INSERT INTO member_firm (code, name) VALUES ('BENCH', 'Benchmark firm') RETURNING id`,
    );
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO account (member_firm_id, code, kind, settlement_asset)
       SELECT $1::uuid, 'bench-' || n, 'cross', 'USDC' FROM generate_series(1, $2::int) AS n RETURNING id`,
      [firm?.id, ACCOUNT_COUNT],
    );
    const accountIds = rows.map((row) => row.id);
    const drafts = [];
    for (let start = 0; start < accountIds.length; start += DEPOSIT_POSTINGS_PER_ENTRY) {
      const chunk = accountIds.slice(start, start + DEPOSIT_POSTINGS_PER_ENTRY);
      drafts.push({
        idempotencyKey: `bench:deposit:${start}`,
        kind: 'deposit',
        description: `benchmark deposits ${start}..${start + chunk.length - 1}`,
        postings: [
          ...chunk.map((accountId) => ({ accountId, asset: 'USDC', amount: new Decimal(DEPOSIT_USDC) })),
          { accountId: custody.id, asset: 'USDC', amount: new Decimal(DEPOSIT_USDC).times(chunk.length).negated() },
        ],
      });
    }
    await postJournalEntries(manager, drafts);
    return accountIds;
  });
}

type PairPicker = (index: number) => readonly [number, number];

function makeTrades(market: Market, prefix: string, count: number, pick: PairPicker, seed: number): unknown[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, (_, index) => {
    const [buyer, seller] = pick(index);
    return {
      venueId: market.venueId,
      tradeId: `${prefix}-${index}`,
      instrumentId: market.instrumentId,
      buyerAccountId: market.accountIds[buyer],
      sellerAccountId: market.accountIds[seller],
      quantity: new Decimal(1 + Math.floor(random() * 50)).dividedBy(1000).toFixed(),
      price: String(59_000 + Math.floor(random() * 2_000)),
      buyerFee: '0.01',
      sellerFee: '0.005',
      executedAtEpochMs: NOW - 1_000,
    };
  });
}

async function postingCount(dataSource: DataSource): Promise<number> {
  const [row]: ({ postings: number } | undefined)[] = await dataSource.query(
    `SELECT count(*)::int AS postings FROM posting`,
  );
  return row?.postings ?? 0;
}

interface Measurement {
  readonly name: string;
  readonly trades: number;
  readonly seconds: number;
  readonly postings: number;
  readonly nodeCpuMs: number;
  /** Null when the server's processes are not visible from here (another machine or container). */
  readonly postgresCpuMs: number | null;
}

/** Submits `trades` in atomic batches of `batchSize`, `lanes` submissions in flight at a time. */
async function measure(
  market: Market,
  name: string,
  trades: unknown[],
  batchSize: number,
  lanes = 1,
): Promise<Measurement> {
  const postingsBefore = await postingCount(market.dataSource);
  const postgresCpuBefore = await postgresCpuMs(market.dataSource);
  const nodeCpuBefore = nodeCpuMs();
  const start = performance.now();
  let next = 0;
  let novated = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < trades.length) {
        const offset = next;
        next += batchSize;
        const result = await submitTrades(market.dataSource, {
          venueId: market.venueId,
          trades: trades.slice(offset, offset + batchSize),
          mode: 'atomic',
          nowEpochMs: NOW,
        });
        novated += result.counts.novated;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const nodeCpu = nodeCpuMs() - nodeCpuBefore;
  const postgresCpuAfter = await postgresCpuMs(market.dataSource);
  if (novated !== trades.length) throw new Error(`${name}: novated ${novated} of ${trades.length}`);
  return {
    name,
    trades: trades.length,
    seconds,
    postings: (await postingCount(market.dataSource)) - postingsBefore,
    nodeCpuMs: nodeCpu,
    postgresCpuMs: postgresCpuBetween(postgresCpuBefore, postgresCpuAfter),
  };
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  const database = await createTestDatabase();
  let dataSource: DataSource | undefined;
  try {
    const options = dataSourceOptions({
      database: { url: database.url, poolSizeMax: 4, statementTimeoutMs: 120_000, runMigrationsAtStart: false },
    });
    dataSource = new DataSource({ ...options, logging: ['error'] });
    await dataSource.initialize();
    await migrateUp(dataSource);
    await seedDemoMarket(dataSource, SEED_TIME);
    const setupStart = performance.now();
    const accountIds = await createAccounts(dataSource);
    const setupSeconds = (performance.now() - setupStart) / 1000;
    const market: Market = {
      dataSource,
      venueId: (await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' })).id,
      instrumentId: (await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'BTC-PERP' })).id,
      accountIds,
    };
    const random = mulberry32(42);
    const onePair: PairPicker = (index) => (index % 3 === 0 ? [1, 0] : [0, 1]);
    const spread: PairPicker = () => {
      const buyer = Math.floor(random() * ACCOUNT_COUNT);
      return [buyer, (buyer + 1 + Math.floor(random() * (ACCOUNT_COUNT - 1))) % ACCOUNT_COUNT];
    };
    // Warm-up (JIT, connection pool, plans), not reported.
    await measure(market, 'warm-up', makeTrades(market, 'W', 1_000, spread, 1), BATCH_SIZE);
    await measure(market, 'warm-up', makeTrades(market, 'W1', 100, spread, 2), 1);
    const results = [
      await measure(market, 'one pair, batched', makeTrades(market, 'PB', BATCHED_TRADES, onePair, 3), BATCH_SIZE),
      await measure(
        market,
        'one pair, batched max',
        makeTrades(market, 'PM', BATCHED_TRADES, onePair, 8),
        TRADES_PER_BATCH_MAX,
      ),
      await measure(market, 'one pair, unbatched', makeTrades(market, 'PU', UNBATCHED_TRADES, onePair, 4), 1),
      await measure(market, '10k accounts, batched', makeTrades(market, 'SB', BATCHED_TRADES, spread, 5), BATCH_SIZE),
      await measure(
        market,
        '10k accounts, batched max',
        makeTrades(market, 'SM', BATCHED_TRADES, spread, 9),
        TRADES_PER_BATCH_MAX,
      ),
      await measure(
        market,
        '10k accounts, batched x2',
        makeTrades(market, 'C2', BATCHED_TRADES, spread, 7),
        BATCH_SIZE,
        2,
      ),
      await measure(market, '10k accounts, unbatched', makeTrades(market, 'SU', UNBATCHED_TRADES, spread, 6), 1),
    ];
    console.log(
      `${ACCOUNT_COUNT.toLocaleString('en-US')} accounts created and funded in ${setupSeconds.toFixed(2)} s; ` +
        `${cores} cores shared by Node and PostgreSQL; batched = atomic batches of ${BATCH_SIZE}, ` +
        `max = ${TRADES_PER_BATCH_MAX}, unbatched = 1 trade per call, x2 = 2 batches in flight`,
    );
    const header = [
      'scenario'.padEnd(25),
      'trades',
      'seconds',
      'trades/s',
      'trades/s/core',
      'postings',
      'postings/s',
      'node CPU µs/trade',
      'PostgreSQL CPU µs/trade',
    ];
    console.log(header.join(' | '));
    for (const result of results) {
      const perSecond = result.trades / result.seconds;
      console.log(
        [
          result.name.padEnd(25),
          String(result.trades).padStart(6),
          result.seconds.toFixed(2).padStart(7),
          Math.round(perSecond).toLocaleString('en-US').padStart(8),
          Math.round(perSecond / cores)
            .toLocaleString('en-US')
            .padStart(13),
          String(result.postings).padStart(8),
          Math.round(result.postings / result.seconds)
            .toLocaleString('en-US')
            .padStart(10),
          Math.round((result.nodeCpuMs * 1000) / result.trades)
            .toLocaleString('en-US')
            .padStart(17),
          (result.postgresCpuMs === null
            ? 'n/a'
            : Math.round((result.postgresCpuMs * 1000) / result.trades).toLocaleString('en-US')
          ).padStart(23),
        ].join(' | '),
      );
    }
  } finally {
    await dataSource?.destroy();
    await database.drop();
  }
}

await main();
