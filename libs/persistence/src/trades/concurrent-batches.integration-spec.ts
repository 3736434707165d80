import { Decimal } from '@novation/money';
import { createTestDatabase, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { auditInvariants } from '../audit/auditor.js';
import { dataSourceOptions, migrateUp } from '../data-source.js';
import { AccountEntity, MemberFirmEntity } from '../entities/membership.entity.js';
import { InstrumentEntity, VenueEntity } from '../entities/reference-data.entity.js';
import { postJournalEntry } from '../ledger.js';
import { seedDemoMarket } from '../seed/demo-market.js';
import { submitTrades } from './submit-trades.js';
import type { TradeSubmissionMode } from './types.js';

const SEED_TIME = new Date('2026-11-25T12:00:00Z');
const NOW = SEED_TIME.getTime() + 3_600_000;
const ACCOUNT_COUNT = 8;
const BATCH_COUNT = 20;
const TRADES_PER_BATCH = 25;
const DEPOSIT = '1000000';

/** mulberry32: seeded, so every run submits the same trades. */
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

describe('submitTrades under concurrency', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let venueId: string;
  let instrumentIds: string[];
  const accountIds: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const options = dataSourceOptions({
      database: {
        url: database.url,
        poolSizeMax: BATCH_COUNT,
        statementTimeoutMs: 60_000,
        runMigrationsAtStart: false,
      },
    });
    dataSource = new DataSource({ ...options, logging: false });
    await dataSource.initialize();
    await migrateUp(dataSource);
    await seedDemoMarket(dataSource, SEED_TIME);
    venueId = (await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' })).id;
    instrumentIds = await Promise.all(
      ['BTC-PERP', 'ETH-PERP'].map(
        async (symbol) => (await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol })).id,
      ),
    );
    const custody = await dataSource.manager.findOneByOrFail(AccountEntity, { houseRole: 'custody' });
    await dataSource.transaction(async (manager) => {
      await manager.insert(MemberFirmEntity, { code: 'LOAD', name: 'Load test firm' });
      const firm = await manager.findOneByOrFail(MemberFirmEntity, { code: 'LOAD' });
      for (let index = 0; index < ACCOUNT_COUNT; index += 1) {
        const code = `load-${index}`;
        await manager.insert(AccountEntity, {
          memberFirmId: firm.id,
          code,
          kind: 'cross',
          houseRole: null,
          settlementAsset: 'USDC',
          isolatedInstrumentId: null,
        });
        const { id } = await manager.findOneByOrFail(AccountEntity, { code });
        accountIds.push(id);
        await postJournalEntry(manager, {
          idempotencyKey: `test:deposit:${code}`,
          kind: 'deposit',
          description: 'load test deposit',
          postings: [
            { accountId: id, asset: 'USDC', amount: new Decimal(DEPOSIT) },
            { accountId: custody.id, asset: 'USDC', amount: new Decimal(DEPOSIT).negated() },
          ],
        });
      }
    });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('runs 20 overlapping batches in different orders without a surviving deadlock', async () => {
    const random = mulberry32(7);
    const expected = new Map<string, Decimal>();
    const batches = Array.from({ length: BATCH_COUNT }, (_, batch) => {
      const trades = Array.from({ length: TRADES_PER_BATCH }, (__, index) => {
        const buyer = Math.floor(random() * ACCOUNT_COUNT);
        const seller = (buyer + 1 + Math.floor(random() * (ACCOUNT_COUNT - 1))) % ACCOUNT_COUNT;
        const instrument = index % 2;
        const quantity = new Decimal(1 + Math.floor(random() * 20)).dividedBy(1000);
        const price = instrument === 0 ? 60_000 + Math.floor(random() * 200) : 3_000 + Math.floor(random() * 20);
        for (const [account, signed] of [
          [buyer, quantity],
          [seller, quantity.negated()],
        ] as const) {
          const key = `${accountIds[account]}|${instrumentIds[instrument]}`;
          expected.set(key, (expected.get(key) ?? new Decimal(0)).plus(signed));
        }
        return {
          venueId,
          tradeId: `C-${batch}-${index}`,
          instrumentId: instrumentIds[instrument],
          buyerAccountId: accountIds[buyer],
          sellerAccountId: accountIds[seller],
          quantity: quantity.toFixed(),
          price: String(price),
          buyerFee: '0',
          sellerFee: '0',
          executedAtEpochMs: NOW - 1_000,
        };
      });
      // Reversed in every other batch: the same accounts arrive in opposite orders.
      return batch % 2 === 0 ? trades : trades.reverse();
    });
    const results = await Promise.all(
      batches.map((trades, batch) =>
        submitTrades(dataSource, {
          venueId,
          trades,
          mode: (batch % 4 === 1 ? 'per-trade' : 'atomic') as TradeSubmissionMode,
          nowEpochMs: NOW,
        }),
      ),
    );
    for (const result of results)
      expect(result.counts).toEqual({ novated: TRADES_PER_BATCH, duplicate: 0, rejected: 0 });
    const rows: { account_id: string; instrument_id: string; quantity: string; realised_pnl: string }[] =
      await dataSource.query(
        `SELECT account_id, instrument_id, quantity::text, realised_pnl::text FROM position WHERE account_id = ANY($1::uuid[])`,
        [accountIds],
      );
    expect(rows).toHaveLength(expected.size);
    for (const row of rows) {
      expect(new Decimal(row.quantity).toFixed()).toBe(
        expected.get(`${row.account_id}|${row.instrument_id}`)?.toFixed(),
      );
    }
    // No fees: each account's cash moved by exactly its realised PnL.
    for (const accountId of accountIds) {
      const [{ balance }] = await dataSource.query(
        `SELECT coalesce(sum(amount), 0)::text AS balance FROM posting WHERE account_id = $1 AND asset = 'USDC'`,
        [accountId],
      );
      const realised = rows
        .filter((row) => row.account_id === accountId)
        .reduce((total, row) => total.plus(row.realised_pnl), new Decimal(0));
      expect(new Decimal(balance).minus(DEPOSIT).toFixed()).toBe(realised.toFixed());
    }
    const [{ trades }] = await dataSource.query(`SELECT count(*)::int AS trades FROM trade`);
    expect(trades).toBe(BATCH_COUNT * TRADES_PER_BATCH);
    expect(await auditInvariants(dataSource)).toEqual([]);
  });

  it('submitting the same batch concurrently novates it once and reports duplicates', async () => {
    const trades = Array.from({ length: 10 }, (_, index) => ({
      venueId,
      tradeId: `S-${index}`,
      instrumentId: instrumentIds[0],
      buyerAccountId: accountIds[index % ACCOUNT_COUNT],
      sellerAccountId: accountIds[(index + 3) % ACCOUNT_COUNT],
      quantity: '0.01',
      price: '60000',
      buyerFee: '0.5',
      sellerFee: '0',
      executedAtEpochMs: NOW - 1_000,
    }));
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, copy) =>
        submitTrades(dataSource, { venueId, trades, mode: copy % 2 === 0 ? 'atomic' : 'per-trade', nowEpochMs: NOW }),
      ),
    );
    expect(results.reduce((total, result) => total + result.counts.novated, 0)).toBe(10);
    expect(results.reduce((total, result) => total + result.counts.duplicate, 0)).toBe(50);
    const ids = new Set(results.flatMap((result) => result.trades.map((outcome) => outcome.tradeId)));
    expect(ids.size).toBe(10);
    const [{ count }] = await dataSource.query(
      `SELECT count(*)::int AS count FROM trade WHERE venue_trade_id LIKE 'S-%'`,
    );
    expect(count).toBe(10);
    expect(await auditInvariants(dataSource)).toEqual([]);
  });
});
