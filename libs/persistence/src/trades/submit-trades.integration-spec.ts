import { Decimal } from '@novation/money';
import { createTestDatabase, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { auditInvariants } from '../audit/auditor.js';
import { dataSourceOptions, migrateUp } from '../data-source.js';
import { AccountEntity, MemberFirmEntity } from '../entities/membership.entity.js';
import { InstrumentEntity, VenueEntity } from '../entities/reference-data.entity.js';
import { postJournalEntry } from '../ledger.js';
import { seedDemoMarket } from '../seed/demo-market.js';
import { TradeSubmissionError } from './errors.js';
import { submitTrades } from './submit-trades.js';
import type { TradeBatchResult, TradeSubmissionMode } from './types.js';

/** The value, failing the test when it is missing. */
function must<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new Error('expected a value');
  return value;
}

const SEED_TIME = new Date('2026-11-25T12:00:00Z');
const NOW = SEED_TIME.getTime() + 3_600_000;
const EXECUTED = NOW - 1_000;

async function openMigrated(url: string): Promise<DataSource> {
  const options = dataSourceOptions({
    database: { url, poolSizeMax: 5, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
  });
  const dataSource = new DataSource({ ...options, logging: false });
  await dataSource.initialize();
  await migrateUp(dataSource);
  return dataSource;
}

describe('submitTrades on real PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let venueId: string;
  let otherVenueId: string;
  const instrument: Record<string, string> = {};
  const account: Record<string, string> = {};
  let feeRevenue: string;
  let variationMargin: string;
  let tradeCounter = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openMigrated(database.url);
    await seedDemoMarket(dataSource, SEED_TIME);
    const manager = dataSource.manager;
    venueId = (await manager.findOneByOrFail(VenueEntity, { code: 'DEMO' })).id;
    for (const row of await manager.find(InstrumentEntity)) instrument[row.symbol] = row.id;
    instrument['OPTION'] = must(
      instrument[must(Object.keys(instrument).find((symbol) => symbol.endsWith('-100000-C')))],
    );
    const firms = await manager.find(MemberFirmEntity);
    for (const row of await manager.find(AccountEntity)) {
      const firm = firms.find((candidate) => candidate.id === row.memberFirmId);
      account[firm === undefined ? row.code : `${firm.code}:${row.code}`] = row.id;
    }
    feeRevenue = must(account['house:fee_revenue']);
    variationMargin = must(account['house:variation_margin']);
    // Reference data for the refusal cases, set up before any snapshot is taken.
    await manager.insert(VenueEntity, { code: 'OTHER', name: 'Another venue' });
    otherVenueId = (await manager.findOneByOrFail(VenueEntity, { code: 'OTHER' })).id;
    const perpetual = {
      kind: 'perpetual' as const,
      settlementType: 'linear' as const,
      underlying: 'SOL-USD',
      quoteAsset: 'USDC',
      settlementAsset: 'USDC',
      contractSize: new Decimal(1),
      expiresAt: null,
      strike: null,
      optionType: null,
      underlyingReference: null,
      quantityStep: new Decimal('0.01'),
    };
    await manager.insert(InstrumentEntity, [
      { ...perpetual, symbol: 'SOL-PERP-OTHER', venueId: otherVenueId },
      { ...perpetual, symbol: 'SOL-PERP-DELISTED', venueId, status: 'delisted' },
      { ...perpetual, symbol: 'SOL-PERP-TICK', venueId, priceTick: new Decimal('0.05') },
    ]);
    for (const row of await manager.find(InstrumentEntity)) instrument[row.symbol] = row.id;
    const bravo = must(firms.find((firm) => firm.code === 'BRAVO'));
    await manager.insert(AccountEntity, {
      memberFirmId: bravo.id,
      code: 'frozen',
      kind: 'cross',
      houseRole: null,
      settlementAsset: 'USDC',
      isolatedInstrumentId: null,
      status: 'frozen',
    });
    account['BRAVO:frozen'] = (await manager.findOneByOrFail(AccountEntity, { code: 'frozen' })).id;
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  afterEach(async () => {
    expect(await auditInvariants(dataSource)).toEqual([]);
  });

  interface TradeSpec {
    id?: string;
    instrument?: string;
    buyer: string;
    seller: string;
    quantity: string;
    price: string;
    buyerFee?: string;
    sellerFee?: string;
    executedAtEpochMs?: number;
  }

  function trade(spec: TradeSpec): Record<string, unknown> {
    tradeCounter += 1;
    return {
      venueId,
      tradeId: spec.id ?? `T-${tradeCounter}`,
      instrumentId: instrument[spec.instrument ?? 'BTC-PERP'] ?? spec.instrument,
      buyerAccountId: account[spec.buyer] ?? spec.buyer,
      sellerAccountId: account[spec.seller] ?? spec.seller,
      quantity: spec.quantity,
      price: spec.price,
      buyerFee: spec.buyerFee ?? '0',
      sellerFee: spec.sellerFee ?? '0',
      executedAtEpochMs: spec.executedAtEpochMs ?? EXECUTED,
    };
  }

  const submit = (trades: unknown[], mode: TradeSubmissionMode = 'atomic'): Promise<TradeBatchResult> =>
    submitTrades(dataSource, { venueId, trades, mode, nowEpochMs: NOW });

  async function balance(accountKey: string, asset: string): Promise<string> {
    const [row] = await dataSource.query(
      `SELECT coalesce(sum(amount), 0)::text AS balance FROM posting WHERE account_id = $1 AND asset = $2`,
      [account[accountKey] ?? accountKey, asset],
    );
    return new Decimal(row.balance).toFixed();
  }

  async function position(
    accountKey: string,
    symbol: string,
  ): Promise<{ quantity: string; entry: string | null; realised: string } | null> {
    const [row] = await dataSource.query(
      `SELECT quantity::text, average_entry_price::text AS entry, realised_pnl::text AS realised FROM position
       WHERE account_id = $1 AND instrument_id = $2`,
      [account[accountKey], instrument[symbol]],
    );
    if (row === undefined) return null;
    return {
      quantity: new Decimal(row.quantity).toFixed(),
      entry: row.entry === null ? null : new Decimal(row.entry).toFixed(),
      realised: new Decimal(row.realised).toFixed(),
    };
  }

  /** Every row of every table a trade can write, hashed: equal snapshots mean an unchanged database. */
  async function snapshot(): Promise<Record<string, unknown>> {
    const [row] = await dataSource.query(`
      SELECT (SELECT count(*) FROM trade)::int AS trades, (SELECT count(*) FROM position)::int AS positions,
             (SELECT count(*) FROM journal_entry)::int AS entries, (SELECT count(*) FROM posting)::int AS postings,
             (SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM trade t) AS trade_hash,
             (SELECT md5(coalesce(string_agg(p::text, ',' ORDER BY p.account_id, p.instrument_id), '')) FROM position p)
               AS position_hash,
             (SELECT md5(coalesce(string_agg(j::text, ',' ORDER BY j.id), '')) FROM journal_entry j) AS entry_hash,
             (SELECT md5(coalesce(string_agg(b::text, ',' ORDER BY b.account_id, b.asset), '')) FROM account_balance b)
               AS balance_hash`);
    return row;
  }

  it('opens, increases, reduces and flips positions with exact PnL, fees and ledger balances', async () => {
    const result = await submit([
      trade({
        id: 'P-1',
        buyer: 'ALPHA:main',
        seller: 'BRAVO:main',
        quantity: '2',
        price: '60000',
        buyerFee: '1.5',
        sellerFee: '0.75',
      }),
      trade({ id: 'P-2', buyer: 'ALPHA:main', seller: 'CHARLIE:portfolio', quantity: '1', price: '63000' }),
      trade({ id: 'P-3', buyer: 'BRAVO:main', seller: 'ALPHA:main', quantity: '1.5', price: '62000' }),
    ]);
    expect(result.counts).toEqual({ novated: 3, duplicate: 0, rejected: 0 });
    // A later batch continues from the stored positions.
    const flip = await submit([
      trade({ id: 'P-4', buyer: 'CHARLIE:portfolio', seller: 'ALPHA:main', quantity: '3', price: '59000' }),
    ]);
    expect(flip.counts.novated).toBe(1);
    expect(await position('ALPHA:main', 'BTC-PERP')).toEqual({ quantity: '-1.5', entry: '59000', realised: '-1500' });
    expect(await position('BRAVO:main', 'BTC-PERP')).toEqual({ quantity: '-0.5', entry: '60000', realised: '-3000' });
    expect(await position('CHARLIE:portfolio', 'BTC-PERP')).toEqual({
      quantity: '2',
      entry: '59000',
      realised: '4000',
    });
    expect(await balance('ALPHA:main', 'USDC')).toBe('2498498.5');
    expect(await balance('BRAVO:main', 'USDC')).toBe('996999.25');
    expect(await balance('CHARLIE:portfolio', 'USDC')).toBe('5004000');
    expect(await balance(feeRevenue, 'USDC')).toBe('2.25');
    expect(await balance(variationMargin, 'USDC')).toBe('500');
    // P-2 moved no money: no journal entry; the others point at theirs.
    const trades = await dataSource.query(
      `SELECT venue_trade_id, journal_entry_id IS NOT NULL AS posted FROM trade WHERE venue_trade_id LIKE 'P-%' ORDER BY venue_trade_id`,
    );
    expect(trades).toEqual([
      { venue_trade_id: 'P-1', posted: true },
      { venue_trade_id: 'P-2', posted: false },
      { venue_trade_id: 'P-3', posted: true },
      { venue_trade_id: 'P-4', posted: true },
    ]);
    const [last] = await dataSource.query(
      `SELECT position.last_trade_id::text = trade.id::text AS matches, position.version::int AS version
       FROM position JOIN trade ON trade.venue_trade_id = 'P-4' WHERE position.account_id = $1 AND position.instrument_id = $2`,
      [account['ALPHA:main'], instrument['BTC-PERP']],
    );
    expect(last).toEqual({ matches: true, version: 2 });
  });

  it('moves option premium from buyer to seller and realises nothing on a reducing option trade', async () => {
    const alphaBefore = await balance('ALPHA:options', 'BTC');
    const charlieBefore = await balance('CHARLIE:portfolio', 'BTC');
    const feesBefore = await balance(feeRevenue, 'BTC');
    const vmBefore = await balance(variationMargin, 'BTC');
    const opened = await submit([
      trade({
        id: 'O-1',
        instrument: 'OPTION',
        buyer: 'ALPHA:options',
        seller: 'CHARLIE:portfolio',
        quantity: '2.5',
        price: '0.0425',
        buyerFee: '0.0001',
        sellerFee: '0.00005',
      }),
    ]);
    expect(opened.counts.novated).toBe(1);
    const reduced = await submit(
      [
        trade({
          id: 'O-2',
          instrument: 'OPTION',
          buyer: 'CHARLIE:portfolio',
          seller: 'ALPHA:options',
          quantity: '1',
          price: '0.05',
        }),
      ],
      'per-trade',
    );
    expect(reduced.counts.novated).toBe(1);
    expect(await position('ALPHA:options', 'OPTION')).toEqual({ quantity: '1.5', entry: '0.0425', realised: '0' });
    expect(await position('CHARLIE:portfolio', 'OPTION')).toEqual({ quantity: '-1.5', entry: '0.0425', realised: '0' });
    const delta = async (key: string, before: string) => new Decimal(await balance(key, 'BTC')).minus(before).toFixed();
    expect(await delta('ALPHA:options', alphaBefore)).toBe('-0.05635'); // -0.10625 - 0.0001 + 0.05
    expect(await delta('CHARLIE:portfolio', charlieBefore)).toBe('0.0562'); // 0.10625 - 0.00005 - 0.05
    expect(await delta(feeRevenue, feesBefore)).toBe('0.00015');
    expect(await delta(variationMargin, vmBefore)).toBe('0');
  });

  it('rounds a re-averaged entry price to the column scale and keeps positions consistent', async () => {
    await submit([
      trade({ buyer: 'ALPHA:main', seller: 'BRAVO:main', quantity: '1', price: '3000', instrument: 'ETH-PERP' }),
      trade({ buyer: 'ALPHA:main', seller: 'BRAVO:main', quantity: '2', price: '3001', instrument: 'ETH-PERP' }),
    ]);
    // (3000 + 2 x 3001) / 3 = 3000.666..., rounded half-even to 18 places.
    expect(await position('ALPHA:main', 'ETH-PERP')).toEqual({
      quantity: '3',
      entry: '3000.666666666666666667',
      realised: '0',
    });
  });

  it('returns duplicate for a retried batch and refuses an altered payload, changing nothing', async () => {
    const batch = [
      trade({ id: 'D-1', buyer: 'ALPHA:main', seller: 'BRAVO:main', quantity: '0.5', price: '61000', buyerFee: '0.1' }),
      trade({ id: 'D-2', buyer: 'BRAVO:main', seller: 'CHARLIE:portfolio', quantity: '0.25', price: '61500' }),
    ];
    const first = await submit(batch);
    expect(first.counts.novated).toBe(2);
    const before = await snapshot();
    const retry = await submit(batch, 'per-trade');
    expect(retry.trades).toEqual(
      first.trades.map((outcome) => ({
        venueTradeId: outcome.venueTradeId,
        status: 'duplicate',
        tradeId: outcome.tradeId,
      })),
    );
    // Same trade with its decimals written differently: still the same payload.
    const reformatted = await submit([{ ...batch[0], quantity: '0.500', buyerFee: '0.10' }]);
    expect(reformatted.trades[0]).toMatchObject({ status: 'duplicate', tradeId: first.trades[0]?.tradeId });
    const altered = await submit([{ ...batch[0], price: '61001' }]);
    expect(altered.trades[0]).toMatchObject({
      status: 'rejected',
      error: { code: 'TRADE_ID_REUSED', field: 'tradeId' },
    });
    const alteredPerTrade = await submit([{ ...batch[1], quantity: '0.3' }], 'per-trade');
    expect(alteredPerTrade.trades[0]?.error?.code).toBe('TRADE_ID_REUSED');
    expect(await snapshot()).toEqual(before);
  });

  it('handles a venue trade id repeated within one batch', async () => {
    const same = trade({ id: 'R-1', buyer: 'ALPHA:main', seller: 'BRAVO:main', quantity: '0.1', price: '60000' });
    const result = await submit([same, same]);
    expect(result.counts).toEqual({ novated: 1, duplicate: 1, rejected: 0 });
    expect(result.trades[1]?.tradeId).toBe(result.trades[0]?.tradeId);
    const before = await snapshot();
    const conflicting = trade({
      id: 'R-2',
      buyer: 'ALPHA:main',
      seller: 'BRAVO:main',
      quantity: '0.1',
      price: '60000',
    });
    const aborted = await submit([conflicting, { ...conflicting, price: '60100' }]);
    expect(aborted.trades.map((outcome) => outcome.error?.code)).toEqual(['BATCH_ABORTED', 'TRADE_ID_REUSED']);
    expect(await snapshot()).toEqual(before);
  });

  describe('refuses bad input with a typed error and leaves the database unchanged', () => {
    const unknownId = '00000000-0000-4000-8000-000000000000';
    const base = { buyer: 'ALPHA:main', seller: 'BRAVO:main', quantity: '1', price: '60000' };
    const cases: [string, () => Record<string, unknown>, string, string][] = [
      ['unknown instrument', () => trade({ ...base, instrument: unknownId }), 'UNKNOWN_INSTRUMENT', 'instrumentId'],
      ['unknown account', () => trade({ ...base, seller: unknownId }), 'UNKNOWN_ACCOUNT', 'sellerAccountId'],
      ['non-uuid account', () => trade({ ...base, buyer: 'not-a-uuid' }), 'UNKNOWN_ACCOUNT', 'buyerAccountId'],
      [
        'instrument of another venue',
        () => trade({ ...base, instrument: 'SOL-PERP-OTHER' }),
        'INSTRUMENT_NOT_LISTED',
        'instrumentId',
      ],
      [
        'delisted instrument',
        () => trade({ ...base, instrument: 'SOL-PERP-DELISTED' }),
        'INSTRUMENT_EXPIRED',
        'instrumentId',
      ],
      ['house account', () => trade({ ...base, buyer: 'house:fee_revenue' }), 'ACCOUNT_NOT_ALLOWED', 'buyerAccountId'],
      ['frozen account', () => trade({ ...base, seller: 'BRAVO:frozen' }), 'ACCOUNT_NOT_ALLOWED', 'sellerAccountId'],
      [
        'isolated account elsewhere',
        () => trade({ ...base, buyer: 'BRAVO:eth-isolated' }),
        'ACCOUNT_NOT_ALLOWED',
        'buyerAccountId',
      ],
      ['self trade', () => trade({ ...base, seller: 'ALPHA:main' }), 'SELF_TRADE', 'sellerAccountId'],
      ['quantity step', () => trade({ ...base, quantity: '0.0005' }), 'QUANTITY_STEP', 'quantity'],
      ['price tick', () => trade({ ...base, instrument: 'SOL-PERP-TICK', price: '150.01' }), 'PRICE_TICK', 'price'],
      ['fee scale', () => trade({ ...base, buyerFee: '0.0000001' }), 'FEE_SCALE', 'buyerFee'],
      [
        'price beyond 18 decimals',
        () => trade({ ...base, price: '60000.0000000000000000001' }),
        'OUT_OF_RANGE',
        'price',
      ],
      [
        'future timestamp',
        () => trade({ ...base, executedAtEpochMs: NOW + 60_000 }),
        'FUTURE_TIMESTAMP',
        'executedAtEpochMs',
      ],
      ['another venue id', () => ({ ...trade(base), venueId: otherVenueId }), 'VENUE_MISMATCH', 'venueId'],
      ['JS number price', () => ({ ...trade(base), price: 60000 }), 'INVALID_FIELD_TYPE', 'price'],
      ['exponent quantity', () => ({ ...trade(base), quantity: '1e3' }), 'INVALID_DECIMAL', 'quantity'],
      ['NaN price', () => ({ ...trade(base), price: 'NaN' }), 'INVALID_DECIMAL', 'price'],
      ['Infinity fee', () => ({ ...trade(base), sellerFee: 'Infinity' }), 'INVALID_DECIMAL', 'sellerFee'],
      ['missing field', () => ({ ...trade(base), price: undefined }), 'MISSING_FIELD', 'price'],
      ['unknown field', () => ({ ...trade(base), side: 'buy' }), 'UNKNOWN_FIELD', 'side'],
      [
        'fractional timestamp',
        () => ({ ...trade(base), executedAtEpochMs: 1.5 }),
        'INVALID_TIMESTAMP',
        'executedAtEpochMs',
      ],
      ['bad trade id', () => ({ ...trade(base), tradeId: 'has space' }), 'INVALID_IDENTIFIER', 'tradeId'],
      ['not an object', () => ['trade'] as unknown as Record<string, unknown>, 'NOT_AN_OBJECT', 'trade'],
    ];

    it.each(cases)('%s', async (_name, build, code, field) => {
      const before = await snapshot();
      const bad = build();
      const good = trade({ buyer: 'CHARLIE:portfolio', seller: 'BRAVO:main', quantity: '0.01', price: '60000' });
      const atomic = await submit([good, bad]);
      expect(atomic.trades[1]).toMatchObject({ status: 'rejected', error: { code, field } });
      expect(atomic.trades[0]).toMatchObject({ status: 'rejected', error: { code: 'BATCH_ABORTED' } });
      const alone = await submit([bad], 'per-trade');
      expect(alone.trades[0]).toMatchObject({ status: 'rejected', error: { code, field } });
      expect(await snapshot()).toEqual(before);
    });

    it('refuses whole batches with TradeSubmissionError', async () => {
      const before = await snapshot();
      const one = trade(base);
      const refusal = (input: Parameters<typeof submitTrades>[1]) =>
        submitTrades(dataSource, input).catch((error) => error);
      const tooLarge = await refusal({
        venueId,
        trades: Array.from({ length: 1_001 }, () => one),
        mode: 'atomic',
        nowEpochMs: NOW,
      });
      expect(tooLarge).toBeInstanceOf(TradeSubmissionError);
      expect(tooLarge.code).toBe('BATCH_TOO_LARGE');
      expect((await refusal({ venueId: unknownId, trades: [one], mode: 'atomic', nowEpochMs: NOW })).code).toBe(
        'UNKNOWN_VENUE',
      );
      expect((await refusal({ venueId: 'DEMO', trades: [one], mode: 'atomic', nowEpochMs: NOW })).code).toBe(
        'UNKNOWN_VENUE',
      );
      const notArray = { venueId, trades: 'x', mode: 'atomic', nowEpochMs: NOW } as unknown as Parameters<
        typeof submitTrades
      >[1];
      expect((await refusal(notArray)).code).toBe('INVALID_BATCH');
      const badMode = { venueId, trades: [one], mode: 'some', nowEpochMs: NOW } as unknown as Parameters<
        typeof submitTrades
      >[1];
      expect((await refusal(badMode)).code).toBe('INVALID_BATCH');
      expect((await refusal({ venueId, trades: [one], mode: 'atomic', nowEpochMs: Number.NaN })).code).toBe(
        'INVALID_BATCH',
      );
      expect(await snapshot()).toEqual(before);
      const empty = await submit([]);
      expect(empty.counts).toEqual({ novated: 0, duplicate: 0, rejected: 0 });
    });
  });

  it('refuses a dated future once its expiry time has passed (expiresAt <= now), changing nothing', async () => {
    const future = await dataSource.manager.findOneByOrFail(InstrumentEntity, { kind: 'future' });
    const expiry = must(future.expiresAt).getTime();
    const before = await snapshot();
    const late = trade({
      instrument: future.symbol,
      buyer: 'ALPHA:main',
      seller: 'BRAVO:main',
      quantity: '1',
      price: '61000',
      executedAtEpochMs: expiry - 1_000,
    });
    const result = await submitTrades(dataSource, { venueId, trades: [late], mode: 'atomic', nowEpochMs: expiry });
    expect(result.trades[0]).toMatchObject({
      status: 'rejected',
      error: { code: 'INSTRUMENT_EXPIRED', field: 'instrumentId' },
    });
    expect(await snapshot()).toEqual(before);
  });

  it('atomic rolls the whole batch back; per-trade applies the good trades around a rejected one', async () => {
    const good = () =>
      trade({ buyer: 'CHARLIE:portfolio', seller: 'ALPHA:main', quantity: '0.2', price: '60500', sellerFee: '0.2' });
    const bad = () => trade({ buyer: 'CHARLIE:portfolio', seller: 'ALPHA:main', quantity: '0.0001', price: '60500' });
    const batch = [good(), bad(), good()];
    const before = await snapshot();
    const atomic = await submit(batch);
    expect(atomic.trades.map((outcome) => outcome.error?.code)).toEqual([
      'BATCH_ABORTED',
      'QUANTITY_STEP',
      'BATCH_ABORTED',
    ]);
    expect(await snapshot()).toEqual(before);
    const charlieBefore = await position('CHARLIE:portfolio', 'BTC-PERP');
    const feesBefore = await balance(feeRevenue, 'USDC');
    const perTrade = await submit(batch, 'per-trade');
    expect(perTrade.trades.map((outcome) => outcome.status)).toEqual(['novated', 'rejected', 'novated']);
    expect(perTrade.trades[1]?.error?.code).toBe('QUANTITY_STEP');
    const charlieAfter = await position('CHARLIE:portfolio', 'BTC-PERP');
    expect(new Decimal(must(charlieAfter).quantity).minus(must(charlieBefore).quantity).toFixed()).toBe('0.4');
    expect(new Decimal(await balance(feeRevenue, 'USDC')).minus(feesBefore).toFixed()).toBe('0.4');
  });

  it('lets an account under a margin call or in liquidation only reduce its position', async () => {
    const called = 'CHARLIE:portfolio';
    const opened = await submit([trade({ buyer: called, seller: 'ALPHA:main', quantity: '0.5', price: '60000' })]);
    expect(opened.trades[0]?.status).toBe('novated');
    const held = new Decimal(must(await position(called, 'BTC-PERP')).quantity);
    expect(held.isPositive()).toBe(true);
    for (const state of ['margin_call', 'liquidating'] as const) {
      await dataSource.query(`UPDATE account SET margin_state = $2 WHERE id = $1`, [account[called], state]);
      try {
        const before = await snapshot();
        // Buying more, or selling through zero into a short, adds risk: refused, nothing written.
        const more = await submit([trade({ buyer: called, seller: 'ALPHA:main', quantity: '0.1', price: '60000' })]);
        expect(more.trades[0]?.error).toMatchObject({ code: 'RISK_INCREASE_REFUSED', field: 'buyerAccountId' });
        const flip = held.plus('0.1').toFixed();
        const through = await submit([trade({ buyer: 'ALPHA:main', seller: called, quantity: flip, price: '60000' })]);
        expect(through.trades[0]?.error).toMatchObject({ code: 'RISK_INCREASE_REFUSED', field: 'sellerAccountId' });
        expect(await snapshot()).toEqual(before);
        // Selling part of the long reduces risk: accepted. The counterparty is unaffected by the rule.
        const reduce = await submit([trade({ buyer: 'ALPHA:main', seller: called, quantity: '0.1', price: '60000' })]);
        expect(reduce.trades[0]?.status).toBe('novated');
        const after = new Decimal(must(await position(called, 'BTC-PERP')).quantity);
        expect(after.toFixed()).toBe(held.minus('0.1').toFixed());
        // Put the long back for the next state.
        await dataSource.query(`UPDATE account SET margin_state = 'healthy' WHERE id = $1`, [account[called]]);
        const restore = await submit([trade({ buyer: called, seller: 'ALPHA:main', quantity: '0.1', price: '60000' })]);
        expect(restore.trades[0]?.status).toBe('novated');
      } finally {
        await dataSource.query(`UPDATE account SET margin_state = 'healthy' WHERE id = $1`, [account[called]]);
      }
    }
  });

  it('per-trade rolls back only the trade the ledger refuses, and removes the positions it created', async () => {
    // A journal entry already holds the key the trade would post under, with another payload.
    const blocked = trade({
      id: 'L-1',
      instrument: 'ETH-PERP',
      buyer: 'CHARLIE:portfolio',
      seller: 'BRAVO:eth-isolated',
      quantity: '1',
      price: '3000',
      buyerFee: '1',
    });
    await dataSource.transaction((manager) =>
      postJournalEntry(manager, {
        idempotencyKey: `trade:${venueId}:L-1`,
        kind: 'deposit',
        description: 'squatting the key',
        postings: [
          { accountId: must(account['CHARLIE:portfolio']), asset: 'USDC', amount: new Decimal(1) },
          { accountId: must(account['house:custody']), asset: 'USDC', amount: new Decimal(-1) },
        ],
      }),
    );
    const before = await snapshot();
    const ok = trade({
      instrument: 'BTC-PERP',
      buyer: 'BRAVO:main',
      seller: 'ALPHA:main',
      quantity: '0.1',
      price: '60000',
    });
    const result = await submit([blocked, ok], 'per-trade');
    expect(result.trades.map((outcome) => outcome.error?.code ?? outcome.status)).toEqual([
      'IDEMPOTENCY_KEY_REUSED',
      'novated',
    ]);
    expect(await position('BRAVO:eth-isolated', 'ETH-PERP')).toBeNull();
    const after = await snapshot();
    expect(after['trades']).toBe((before['trades'] as number) + 1);
    expect(after['positions']).toBe(before['positions']);
    const atomic = await submit([blocked]);
    expect(atomic.trades[0]?.error?.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});
