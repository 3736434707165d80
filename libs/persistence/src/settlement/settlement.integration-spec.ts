import { createHash } from 'node:crypto';
import { Decimal } from '@novation/money';
import { createTestDatabase, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { auditInvariants } from '../audit/auditor.js';
import { dataSourceOptions, migrateUp } from '../data-source.js';
import { PositionEntity } from '../entities/clearing.entity.js';
import { AccountEntity } from '../entities/membership.entity.js';
import { InstrumentEntity, VenueEntity } from '../entities/reference-data.entity.js';
import { postJournalEntry } from '../ledger.js';
import { publishMarketData } from '../market-data/index.js';
import { demoExpiry } from '../seed/demo-instruments.js';
import { seedDemoMarket } from '../seed/demo-market.js';
import { SettlementError, runFunding, runVariationMargin, settleExpiry } from './index.js';

const SEED_TIME = new Date('2026-11-25T12:00:00Z');
const NOW = SEED_TIME.getTime();
const EXPIRY = demoExpiry(SEED_TIME).getTime();

interface Fill {
  readonly buyer: string;
  readonly seller: string;
  readonly quantity: string;
  readonly price: string;
}

/**
 * Positions are created the simplest consistent way: trade rows (so the auditor's position-vs-trades
 * check holds) plus the net position per account, all fills of one instrument at one price (that price is
 * the entry price). No money moves for these trades (no fees, futures have no premium, option premiums
 * are left out): the tests look at the settlement postings only.
 */
describe('settlement runs on real PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let venueId: string;
  let alpha: string;
  let bravo: string;
  let charlie: string;
  let house: string;
  const instruments = new Map<string, InstrumentEntity>();
  let tradeCounter = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    const options = dataSourceOptions({
      database: { url: database.url, poolSizeMax: 5, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
    });
    dataSource = new DataSource({ ...options, logging: false });
    await dataSource.initialize();
    await migrateUp(dataSource);
    await seedDemoMarket(dataSource, SEED_TIME);
    venueId = (await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' })).id;
    const accounts = await dataSource.manager.find(AccountEntity);
    const memberAccount = async (firm: string, code: string) => {
      const [row] = await dataSource.query(
        `SELECT account.id FROM account JOIN member_firm firm ON firm.id = account.member_firm_id
          WHERE firm.code = $1 AND account.code = $2`,
        [firm, code],
      );
      return String(row.id);
    };
    alpha = await memberAccount('ALPHA', 'main');
    bravo = await memberAccount('BRAVO', 'main');
    charlie = await memberAccount('CHARLIE', 'portfolio');
    house = accounts.find((account) => account.houseRole === 'variation_margin')?.id ?? '';
    const custody = accounts.find((account) => account.houseRole === 'custody')?.id ?? '';
    for (const instrument of await dataSource.manager.find(InstrumentEntity))
      instruments.set(instrument.symbol, instrument);
    // BTC collateral for BRAVO and CHARLIE, who hold none in the seed (inverse instruments settle in BTC).
    await dataSource.transaction((manager) =>
      postJournalEntry(manager, {
        idempotencyKey: 'test:btc-collateral',
        kind: 'deposit',
        description: 'test BTC collateral',
        postings: [
          { accountId: bravo, asset: 'BTC', amount: new Decimal(5) },
          { accountId: charlie, asset: 'BTC', amount: new Decimal(5) },
          { accountId: custody, asset: 'BTC', amount: new Decimal(-10) },
        ],
      }),
    );
  });

  afterEach(async () => {
    expect(await auditInvariants(dataSource)).toEqual([]);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  function instrumentId(symbolOrSuffix: string): string {
    for (const [symbol, instrument] of instruments) {
      if (symbol === symbolOrSuffix || (symbol.startsWith('BTC-') && symbol.endsWith(symbolOrSuffix)))
        return instrument.id;
    }
    throw new Error(`no instrument ${symbolOrSuffix}`);
  }

  const futureId = () => {
    const future = [...instruments.values()].find((instrument) => instrument.kind === 'future');
    if (future === undefined) throw new Error('no future');
    return future.id;
  };

  async function openPositions(instrument: string, fills: readonly Fill[]): Promise<void> {
    const net = new Map<string, Decimal>();
    const prices = new Set(fills.map((fill) => fill.price));
    expect(prices.size).toBe(1);
    await dataSource.transaction(async (manager) => {
      for (const fill of fills) {
        tradeCounter += 1;
        await manager.query(
          `INSERT INTO trade (venue_id, venue_trade_id, instrument_id, buyer_account_id, seller_account_id, quantity, price,
                              buyer_fee, seller_fee, executed_at, payload_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, $8, $9)`,
          [
            venueId,
            `test-${tradeCounter}`,
            instrument,
            fill.buyer,
            fill.seller,
            fill.quantity,
            fill.price,
            SEED_TIME,
            createHash('sha256').update(`trade-${tradeCounter}`).digest('hex'),
          ],
        );
        net.set(fill.buyer, (net.get(fill.buyer) ?? new Decimal(0)).plus(fill.quantity));
        net.set(fill.seller, (net.get(fill.seller) ?? new Decimal(0)).minus(fill.quantity));
      }
      for (const [accountId, quantity] of net) {
        await manager.insert(PositionEntity, {
          accountId,
          instrumentId: instrument,
          quantity,
          averageEntryPrice: quantity.isZero() ? null : new Decimal(fills[0]?.price ?? '0'),
        });
      }
    });
  }

  async function publishMark(instrument: string, price: string, observedAtEpochMs = NOW - 1_000): Promise<void> {
    const result = await publishMarketData(
      dataSource,
      { source: 'test', markPrices: [{ instrumentId: instrument, price, observedAtEpochMs }] },
      { nowEpochMs: NOW, maxAgeMs: 60_000, maxFutureSkewMs: 1_000, bandFraction: '0.5' },
    );
    expect(result.acceptedCount).toBe(1);
  }

  async function balances(asset: string): Promise<Record<string, string>> {
    const rows: { account_id: string; balance: string }[] = await dataSource.query(
      `SELECT account_id, sum(amount)::text AS balance FROM posting WHERE asset = $1 GROUP BY account_id`,
      [asset],
    );
    return Object.fromEntries(rows.map((row) => [row.account_id, new Decimal(row.balance).toFixed()]));
  }

  async function entryPostings(journalEntryId: string | null): Promise<Record<string, string>> {
    const rows: { account_id: string; amount: string }[] = await dataSource.query(
      `SELECT account_id, amount::text AS amount FROM posting WHERE journal_entry_id = $1`,
      [journalEntryId],
    );
    return Object.fromEntries(rows.map((row) => [row.account_id, new Decimal(row.amount).toFixed()]));
  }

  async function positionsOf(instrument: string): Promise<Record<string, { quantity: string; entry: string | null }>> {
    const rows = await dataSource.manager.find(PositionEntity, { where: { instrumentId: instrument } });
    return Object.fromEntries(
      rows.map((row) => [
        row.accountId,
        { quantity: row.quantity.toFixed(), entry: row.averageEntryPrice?.toFixed() ?? null },
      ]),
    );
  }

  async function snapshot(): Promise<unknown> {
    return dataSource.query(
      `SELECT (SELECT count(*) FROM journal_entry)::int AS entries, (SELECT count(*) FROM posting)::int AS postings,
              (SELECT count(*) FROM audit_log)::int AS runs,
              (SELECT json_agg(p ORDER BY account_id, instrument_id) FROM position p) AS positions,
              (SELECT json_agg(i.status ORDER BY i.id) FROM instrument i) AS statuses`,
    );
  }

  const amounts = (rows: readonly { accountId: string; amount: Decimal }[]) =>
    Object.fromEntries(rows.map((row) => [row.accountId, row.amount.toFixed()]));

  describe('funding', () => {
    it('longs pay shorts at a positive rate, payers round up, the house keeps the residual', async () => {
      const perp = instrumentId('BTC-PERP');
      await openPositions(perp, [
        { buyer: alpha, seller: bravo, quantity: '2', price: '33000' },
        { buyer: alpha, seller: charlie, quantity: '1', price: '33000' },
      ]);
      await publishMark(perp, '33333.333333');
      const result = await runFunding(dataSource, {
        instrumentId: perp,
        fundingRate: '0.0001',
        fundingId: '2026-11-25T08',
        nowEpochMs: NOW,
      });
      // value x rate: 3 x 33333.333333 x 0.0001 = 9.9999999999 paid (rounded up to 10), 6.6666666666 and
      // 3.3333333333 received (rounded down), residual 0.000001 to the house.
      expect(result.applied).toBe(true);
      expect(result.markPrice.toFixed()).toBe('33333.333333');
      expect(result.asset).toBe('USDC');
      expect(amounts(result.payments)).toEqual({ [alpha]: '-10', [bravo]: '6.666666', [charlie]: '3.333333' });
      expect(await entryPostings(result.journalEntryId)).toEqual({
        [alpha]: '-10',
        [bravo]: '6.666666',
        [charlie]: '3.333333',
        [house]: '0.000001',
      });
      expect(await positionsOf(perp)).toEqual({
        [alpha]: { quantity: '3', entry: '33000' },
        [bravo]: { quantity: '-2', entry: '33000' },
        [charlie]: { quantity: '-1', entry: '33000' },
      });
    });

    it('a rerun is a no-op returning the original result; another rate under the same id is refused', async () => {
      const perp = instrumentId('BTC-PERP');
      const balancesBefore = await balances('USDC');
      await publishMark(perp, '34000', NOW - 500); // a later mark must not change the rerun's result
      const marksAfter = await snapshot();
      const rerun = await runFunding(dataSource, {
        instrumentId: perp,
        fundingRate: '0.00010',
        fundingId: '2026-11-25T08',
        nowEpochMs: NOW + 1,
      });
      expect(rerun.applied).toBe(false);
      expect(rerun.markPrice.toFixed()).toBe('33333.333333');
      expect(amounts(rerun.payments)).toEqual({ [alpha]: '-10', [bravo]: '6.666666', [charlie]: '3.333333' });
      expect(await snapshot()).toEqual(marksAfter);
      expect(await balances('USDC')).toEqual(balancesBefore);
      await expect(
        runFunding(dataSource, {
          instrumentId: perp,
          fundingRate: '0.0002',
          fundingId: '2026-11-25T08',
          nowEpochMs: NOW,
        }),
      ).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
      expect(await snapshot()).toEqual(marksAfter);
    });

    it('shorts pay longs at a negative rate', async () => {
      const perp = instrumentId('BTC-PERP');
      const result = await runFunding(dataSource, {
        instrumentId: perp,
        fundingRate: '-0.0001',
        fundingId: '2026-11-25T16',
        nowEpochMs: NOW,
      });
      // at the latest mark 34000: 3 x 34000 x 0.0001 = 10.2 received by the long.
      expect(result.markPrice.toFixed()).toBe('34000');
      expect(amounts(result.payments)).toEqual({ [alpha]: '10.2', [bravo]: '-6.8', [charlie]: '-3.4' });
    });

    it('an inverse perpetual pays in coin', async () => {
      const inverse = instrumentId('BTC-USD-PERP');
      await openPositions(inverse, [{ buyer: alpha, seller: bravo, quantity: '400', price: '40000' }]);
      await publishMark(inverse, '40000');
      const btcBefore = await balances('BTC');
      const result = await runFunding(dataSource, {
        instrumentId: inverse,
        fundingRate: '0.001',
        fundingId: '2026-11-25T08',
        nowEpochMs: NOW,
      });
      // 400 contracts x 10 USD / 40000 = 0.1 BTC of value; x 0.001 = 0.0001 BTC.
      expect(result.asset).toBe('BTC');
      expect(amounts(result.payments)).toEqual({ [alpha]: '-0.0001', [bravo]: '0.0001' });
      const btcAfter = await balances('BTC');
      expect(new Decimal(btcAfter[alpha] ?? 0).minus(btcBefore[alpha] ?? 0).toFixed()).toBe('-0.0001');
      expect(new Decimal(btcAfter[bravo] ?? 0).minus(btcBefore[bravo] ?? 0).toFixed()).toBe('0.0001');
    });

    it('refuses a missing mark, a dated instrument, bad input and an unknown instrument, changing nothing', async () => {
      const before = await snapshot();
      const base = { fundingRate: '0.0001', fundingId: 'f1', nowEpochMs: NOW };
      await expect(runFunding(dataSource, { ...base, instrumentId: instrumentId('ETH-PERP') })).rejects.toMatchObject({
        code: 'MISSING_MARK_PRICE',
      });
      await expect(runFunding(dataSource, { ...base, instrumentId: futureId() })).rejects.toMatchObject({
        code: 'WRONG_INSTRUMENT_KIND',
      });
      await expect(
        runFunding(dataSource, { ...base, instrumentId: instrumentId('BTC-PERP'), fundingRate: '1e-4' }),
      ).rejects.toMatchObject({ code: 'INVALID_AMOUNT' });
      await expect(
        runFunding(dataSource, { ...base, instrumentId: instrumentId('BTC-PERP'), fundingRate: '0.5' }),
      ).rejects.toMatchObject({ code: 'CLEARING_REFUSED', clearingCode: 'INVALID_FUNDING_RATE' });
      await expect(
        runFunding(dataSource, { ...base, instrumentId: instrumentId('BTC-PERP'), maxMarkAgeMs: 100 }),
      ).rejects.toMatchObject({ code: 'STALE_MARK_PRICE' });
      await expect(
        runFunding(dataSource, { ...base, instrumentId: '00000000-0000-4000-8000-000000000000' }),
      ).rejects.toBeInstanceOf(SettlementError);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('variation margin', () => {
    it('settles a future over two days and moves the reference price', async () => {
      const future = futureId();
      await openPositions(future, [{ buyer: alpha, seller: bravo, quantity: '2', price: '95000' }]);
      const day1 = await runVariationMargin(dataSource, {
        instrumentId: future,
        settlementPrice: '96000.5',
        settlementDate: '2026-11-25',
      });
      expect(day1.applied).toBe(true);
      expect(
        day1.settlements.map((s) => [s.accountId, s.variationMargin.toFixed(), s.referencePrice?.toFixed()]),
      ).toEqual([alpha, bravo].sort().map((id) => [id, id === alpha ? '2001' : '-2001', '96000.5']));
      expect(await entryPostings(day1.journalEntryId)).toEqual({ [alpha]: '2001', [bravo]: '-2001' });
      expect(await positionsOf(future)).toEqual({
        [alpha]: { quantity: '2', entry: '96000.5' },
        [bravo]: { quantity: '-2', entry: '96000.5' },
      });

      const day2 = await runVariationMargin(dataSource, {
        instrumentId: future,
        settlementPrice: '94500',
        settlementDate: '2026-11-26',
      });
      expect(Object.fromEntries(day2.settlements.map((s) => [s.accountId, s.variationMargin.toFixed()]))).toEqual({
        [alpha]: '-3001',
        [bravo]: '3001',
      });
      expect(await positionsOf(future)).toEqual({
        [alpha]: { quantity: '2', entry: '94500' },
        [bravo]: { quantity: '-2', entry: '94500' },
      });
    });

    it('a rerun of a settled day is a no-op; another price for it is refused', async () => {
      const future = futureId();
      const before = await snapshot();
      const rerun = await runVariationMargin(dataSource, {
        instrumentId: future,
        settlementPrice: '96000.50',
        settlementDate: '2026-11-25',
      });
      expect(rerun.applied).toBe(false);
      expect(Object.fromEntries(rerun.settlements.map((s) => [s.accountId, s.variationMargin.toFixed()]))).toEqual({
        [alpha]: '2001',
        [bravo]: '-2001',
      });
      await expect(
        runVariationMargin(dataSource, { instrumentId: future, settlementPrice: '1', settlementDate: '2026-11-25' }),
      ).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
      await expect(
        runVariationMargin(dataSource, { instrumentId: future, settlementPrice: '1', settlementDate: '2026-02-30' }),
      ).rejects.toMatchObject({ code: 'INVALID_DATE' });
      await expect(
        runVariationMargin(dataSource, {
          instrumentId: instrumentId('90000-C'),
          settlementPrice: '1',
          settlementDate: '2026-11-27',
        }),
      ).rejects.toMatchObject({ code: 'WRONG_INSTRUMENT_KIND' });
      expect(await snapshot()).toEqual(before);
    });
    it('concurrent runs of the same day apply once', async () => {
      const perp = instrumentId('BTC-PERP');
      const run = () =>
        runVariationMargin(dataSource, { instrumentId: perp, settlementPrice: '34000', settlementDate: '2026-11-25' });
      const results = await Promise.all([run(), run(), run()]);
      expect(results.filter((result) => result.applied)).toHaveLength(1);
      expect(new Set(results.map((result) => result.journalEntryId)).size).toBe(1);
      const [row] = await dataSource.query(`SELECT count(*)::int AS n FROM journal_entry WHERE idempotency_key = $1`, [
        `vm:${perp}:2026-11-25`,
      ]);
      expect(row.n).toBe(1);
      // perpetual entries were 33000: 3 x 1000 to the long.
      expect(
        Object.fromEntries(results[0]?.settlements.map((s) => [s.accountId, s.variationMargin.toFixed()]) ?? []),
      ).toEqual({
        [alpha]: '3000',
        [bravo]: '-2000',
        [charlie]: '-1000',
      });
      expect((await positionsOf(perp))[alpha]).toEqual({ quantity: '3', entry: '34000' });
    });
  });

  describe('expiry', () => {
    it('refuses settlement before expiry and changes nothing', async () => {
      const before = await snapshot();
      await expect(
        settleExpiry(dataSource, { instrumentId: futureId(), deliveryPrice: '95000', nowEpochMs: EXPIRY - 1 }),
      ).rejects.toMatchObject({ code: 'NOT_EXPIRED' });
      await expect(
        settleExpiry(dataSource, {
          instrumentId: instrumentId('BTC-PERP'),
          deliveryPrice: '95000',
          nowEpochMs: EXPIRY,
        }),
      ).rejects.toMatchObject({ code: 'WRONG_INSTRUMENT_KIND' });
      expect(await snapshot()).toEqual(before);
    });

    it('settles a future from its reference price, flattens it and marks it expired', async () => {
      const future = futureId();
      const result = await settleExpiry(dataSource, {
        instrumentId: future,
        deliveryPrice: '95000',
        nowEpochMs: EXPIRY,
      });
      // final VM from 94500: 2 x 500.
      expect(result.applied).toBe(true);
      expect(amounts(result.settlements)).toEqual({ [alpha]: '1000', [bravo]: '-1000' });
      expect(await entryPostings(result.journalEntryId)).toEqual({ [alpha]: '1000', [bravo]: '-1000' });
      expect(await positionsOf(future)).toEqual({
        [alpha]: { quantity: '0', entry: null },
        [bravo]: { quantity: '0', entry: null },
      });
      expect((await dataSource.manager.findOneByOrFail(InstrumentEntity, { id: future })).status).toBe('expired');

      const before = await snapshot();
      const rerun = await settleExpiry(dataSource, {
        instrumentId: future,
        deliveryPrice: '95000',
        nowEpochMs: EXPIRY + 5,
      });
      expect(rerun.applied).toBe(false);
      expect(amounts(rerun.settlements)).toEqual({ [alpha]: '1000', [bravo]: '-1000' });
      await expect(
        runVariationMargin(dataSource, {
          instrumentId: future,
          settlementPrice: '95000',
          settlementDate: '2027-03-01',
        }),
      ).rejects.toMatchObject({ code: 'ALREADY_EXPIRED' });
      expect(await snapshot()).toEqual(before);
    });

    it('pays the intrinsic value of an inverse option in coin', async () => {
      const call = instrumentId('90000-C');
      await openPositions(call, [
        { buyer: alpha, seller: bravo, quantity: '3', price: '0.05' },
        { buyer: alpha, seller: charlie, quantity: '2', price: '0.05' },
      ]);
      const before = await balances('BTC');
      const result = await settleExpiry(dataSource, {
        instrumentId: call,
        deliveryPrice: '100000',
        nowEpochMs: EXPIRY,
      });
      // (100000 - 90000) / 100000 = 0.1 BTC per unit.
      expect(result.asset).toBe('BTC');
      expect(amounts(result.settlements)).toEqual({ [alpha]: '0.5', [bravo]: '-0.3', [charlie]: '-0.2' });
      const after = await balances('BTC');
      expect(new Decimal(after[alpha] ?? 0).minus(before[alpha] ?? 0).toFixed()).toBe('0.5');
      expect(new Decimal(after[charlie] ?? 0).minus(before[charlie] ?? 0).toFixed()).toBe('-0.2');
      expect(Object.values(await positionsOf(call))).toEqual([
        { quantity: '0', entry: null },
        { quantity: '0', entry: null },
        { quantity: '0', entry: null },
      ]);
    });

    it('expires an out-of-the-money option without moving money', async () => {
      const put = instrumentId('80000-P');
      await openPositions(put, [{ buyer: bravo, seller: charlie, quantity: '1.5', price: '0.01' }]);
      const entries = await dataSource.query(`SELECT count(*)::int AS n FROM journal_entry`);
      const result = await settleExpiry(dataSource, { instrumentId: put, deliveryPrice: '100000', nowEpochMs: EXPIRY });
      expect(result).toMatchObject({ applied: true, journalEntryId: null });
      expect(amounts(result.settlements)).toEqual({ [bravo]: '0', [charlie]: '0' });
      expect(await dataSource.query(`SELECT count(*)::int AS n FROM journal_entry`)).toEqual(entries);
      const rerun = await settleExpiry(dataSource, { instrumentId: put, deliveryPrice: '100000', nowEpochMs: EXPIRY });
      expect(rerun.applied).toBe(false);
      await expect(
        settleExpiry(dataSource, { instrumentId: put, deliveryPrice: '1e5', nowEpochMs: EXPIRY }),
      ).rejects.toMatchObject({ code: 'INVALID_AMOUNT' });
    });
  });
});
