import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { auditInvariants } from '../audit/auditor.js';
import { dataSourceOptions, migrateUp } from '../data-source.js';
import { InstrumentEntity, VenueEntity } from '../entities/reference-data.entity.js';
import { seedDemoMarket } from '../seed/demo-market.js';
import {
  MARKET_DATA_ITEMS_PER_CALL_MAX,
  MarketDataError,
  latestMarketData,
  publishMarketData,
  recordUnderlyingReturns,
} from './index.js';
import type { MarketDataPolicy, MarkPriceInput } from './index.js';

const SEED_TIME = new Date('2026-11-25T12:00:00Z');
const NOW = SEED_TIME.getTime();
const POLICY: MarketDataPolicy = { nowEpochMs: NOW, maxAgeMs: 60_000, maxFutureSkewMs: 5_000, bandFraction: '0.1' };

describe('market data publishing on real PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let venueId: string;
  let perpId: string;
  let ethPerpId: string;
  let optionId: string;
  let unlistedId: string;

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
    const instruments = await dataSource.manager.find(InstrumentEntity);
    const bySymbol = (symbol: string) => {
      const found = instruments.find((instrument) => instrument.symbol === symbol);
      if (found === undefined) throw new Error(`no ${symbol}`);
      return found.id;
    };
    perpId = bySymbol('BTC-PERP');
    ethPerpId = bySymbol('ETH-PERP');
    optionId = instruments.find((instrument) => instrument.kind === 'option')?.id ?? '';
    // An instrument of another venue, for INSTRUMENT_NOT_LISTED.
    await dataSource.manager.insert(VenueEntity, { code: 'OTHER', name: 'Other venue' });
    const other = await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'OTHER' });
    await dataSource.manager.update(InstrumentEntity, { id: ethPerpId }, { venueId: other.id });
    unlistedId = ethPerpId;
  });

  afterEach(async () => {
    expect(await auditInvariants(dataSource)).toEqual([]);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  async function counts(): Promise<{ marks: number; indexes: number }> {
    const [row] = await dataSource.query(
      `SELECT (SELECT count(*) FROM mark_price)::int AS marks, (SELECT count(*) FROM index_price)::int AS indexes`,
    );
    return row;
  }

  const mark = (overrides: Partial<MarkPriceInput> = {}): MarkPriceInput => ({
    instrumentId: perpId,
    price: '100000',
    observedAtEpochMs: NOW - 10_000,
    ...overrides,
  });

  it('accepts valid index prices and marks (options with implied vol) in one call', async () => {
    const result = await publishMarketData(
      dataSource,
      {
        source: 'demo-feed',
        venueId,
        indexPrices: [{ underlying: 'BTC-USD', price: '99950.5', observedAtEpochMs: NOW - 10_000 }],
        markPrices: [
          mark(),
          { instrumentId: optionId, price: '0.0525', impliedVolatility: 0.55, observedAtEpochMs: NOW - 10_000 },
        ],
      },
      POLICY,
    );
    expect(result).toEqual({
      indexPrices: [{ accepted: true }],
      markPrices: [{ accepted: true }, { accepted: true }],
      acceptedCount: 3,
      rejectedCount: 0,
    });
    const latest = await latestMarketData(dataSource.manager, {
      instrumentIds: [perpId, optionId],
      underlyings: ['BTC-USD', 'ETH-USD'],
    });
    expect(latest.marks.get(perpId)?.price.toFixed()).toBe('100000');
    expect(latest.marks.get(perpId)?.impliedVolatility).toBeNull();
    expect(latest.marks.get(optionId)?.price.toFixed()).toBe('0.0525');
    expect(latest.marks.get(optionId)?.impliedVolatility).toBe(0.55);
    expect(latest.indexPrices.get('BTC-USD')?.price.toFixed()).toBe('99950.5');
    expect(latest.indexPrices.get('BTC-USD')?.observedAt.getTime()).toBe(NOW - 10_000);
    expect(latest.indexPrices.has('ETH-USD')).toBe(false);
  });

  it.each([
    ['garbage', 'abc'],
    ['exponent', '1e5'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['negative', '-100000'],
    ['zero', '0'],
    ['empty', ''],
    ['whitespace', ' 100000'],
    ['hexadecimal', '0x10'],
    ['too many decimals', '1.0000000000000000001'],
  ])('refuses a %s price (INVALID_PRICE) and stores nothing', async (_name, price) => {
    const before = await counts();
    const result = await publishMarketData(dataSource, { source: 'demo-feed', markPrices: [mark({ price })] }, POLICY);
    expect(result.markPrices[0]).toEqual({
      accepted: false,
      error: expect.objectContaining({ code: 'INVALID_PRICE', field: 'markPrices[0].price' }),
    });
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['STALE_PRICE', NOW - 60_001],
    ['FUTURE_TIMESTAMP', NOW + 5_001],
    ['INVALID_TIMESTAMP', 1.5],
  ])('refuses %s and stores nothing', async (code, observedAtEpochMs) => {
    const before = await counts();
    const result = await publishMarketData(
      dataSource,
      {
        source: 'demo-feed',
        markPrices: [mark({ observedAtEpochMs })],
        indexPrices: [{ underlying: 'BTC-USD', price: '100000', observedAtEpochMs }],
      },
      POLICY,
    );
    expect(result.markPrices[0]?.error?.code).toBe(code);
    expect(result.indexPrices[0]?.error?.code).toBe(code);
    expect(result.acceptedCount).toBe(0);
    expect(await counts()).toEqual(before);
  });

  it('refuses a print outside the band of the last accepted value, which stays the reference', async () => {
    const before = await counts();
    const result = await publishMarketData(
      dataSource,
      {
        source: 'demo-feed',
        markPrices: [
          mark({ price: '110000.01', observedAtEpochMs: NOW - 9_000 }), // +10.00001%: refused
          mark({ price: '89999.99', observedAtEpochMs: NOW - 8_000 }), // -10.00001%: refused
          mark({ price: '109000', observedAtEpochMs: NOW - 7_000 }), // +9%: accepted, becomes the reference
          mark({ price: '97000', observedAtEpochMs: NOW - 6_000 }), // -11.01% from 109000: refused
        ],
        indexPrices: [{ underlying: 'BTC-USD', price: '1', observedAtEpochMs: NOW - 9_000 }],
      },
      POLICY,
    );
    expect(result.markPrices.map((item) => item.error?.code ?? 'accepted')).toEqual([
      'OUTSIDE_PRICE_BAND',
      'OUTSIDE_PRICE_BAND',
      'accepted',
      'OUTSIDE_PRICE_BAND',
    ]);
    expect(result.indexPrices[0]?.error?.code).toBe('OUTSIDE_PRICE_BAND');
    expect(await counts()).toEqual({ marks: before.marks + 1, indexes: before.indexes });
    const latest = await latestMarketData(dataSource.manager, { instrumentIds: [perpId], underlyings: [] });
    expect(latest.marks.get(perpId)?.price.toFixed()).toBe('109000');
  });

  it('refuses prices not newer than the latest accepted one (OUT_OF_ORDER)', async () => {
    const before = await counts();
    const result = await publishMarketData(
      dataSource,
      {
        source: 'demo-feed',
        markPrices: [
          mark({ price: '109000', observedAtEpochMs: NOW - 7_000 }),
          mark({ observedAtEpochMs: NOW - 20_000 }),
        ],
        indexPrices: [{ underlying: 'BTC-USD', price: '99950.5', observedAtEpochMs: NOW - 30_000 }],
      },
      POLICY,
    );
    expect(result.markPrices.map((item) => item.error?.code)).toEqual(['OUT_OF_ORDER', 'OUT_OF_ORDER']);
    expect(result.indexPrices[0]?.error?.code).toBe('OUT_OF_ORDER');
    expect(await counts()).toEqual(before);
  });

  it('refuses unknown and unlisted instruments, unknown underlyings and bad implied vols', async () => {
    const before = await counts();
    const at = NOW - 1_000;
    const result = await publishMarketData(
      dataSource,
      {
        source: 'demo-feed',
        venueId,
        markPrices: [
          mark({ instrumentId: randomUUID(), observedAtEpochMs: at }),
          mark({ instrumentId: 'not-a-uuid', observedAtEpochMs: at }),
          mark({ instrumentId: unlistedId, price: '3000', observedAtEpochMs: at }),
          { instrumentId: optionId, price: '0.05', observedAtEpochMs: at },
          { instrumentId: optionId, price: '0.05', impliedVolatility: 100, observedAtEpochMs: at },
          { instrumentId: optionId, price: '0.05', impliedVolatility: 0, observedAtEpochMs: at },
          { instrumentId: optionId, price: '0.05', impliedVolatility: Number.NaN, observedAtEpochMs: at },
          mark({ impliedVolatility: 0.5, price: '108000', observedAtEpochMs: at }),
        ],
        indexPrices: [{ underlying: 'DOGE-USD', price: '0.1', observedAtEpochMs: at }],
      },
      POLICY,
    );
    expect(result.markPrices.map((item) => item.error?.code)).toEqual([
      'UNKNOWN_INSTRUMENT',
      'UNKNOWN_INSTRUMENT',
      'INSTRUMENT_NOT_LISTED',
      'MISSING_IMPLIED_VOLATILITY',
      'INVALID_IMPLIED_VOLATILITY',
      'INVALID_IMPLIED_VOLATILITY',
      'INVALID_IMPLIED_VOLATILITY',
      'INVALID_IMPLIED_VOLATILITY',
    ]);
    expect(result.indexPrices[0]?.error?.code).toBe('UNKNOWN_UNDERLYING');
    expect(await counts()).toEqual(before);
  });

  it('stores the accepted items of a mixed batch and reports the rejected ones', async () => {
    const before = await counts();
    const result = await publishMarketData(
      dataSource,
      {
        source: 'demo-feed',
        markPrices: [
          mark({ price: 'oops', observedAtEpochMs: NOW - 500 }),
          mark({ price: '108500', observedAtEpochMs: NOW - 500 }),
        ],
      },
      POLICY,
    );
    expect(result).toMatchObject({ acceptedCount: 1, rejectedCount: 1 });
    expect(await counts()).toEqual({ marks: before.marks + 1, indexes: before.indexes });
  });

  it('refuses a malformed call as a whole', async () => {
    const before = await counts();
    const many = Array.from({ length: MARKET_DATA_ITEMS_PER_CALL_MAX + 1 }, (_, index) =>
      mark({ observedAtEpochMs: NOW - 1_000 + index }),
    );
    await expect(publishMarketData(dataSource, { source: 'demo-feed', markPrices: many }, POLICY)).rejects.toThrow(
      MarketDataError,
    );
    await expect(publishMarketData(dataSource, { source: '' }, POLICY)).rejects.toMatchObject({
      code: 'INVALID_SOURCE',
    });
    await expect(publishMarketData(dataSource, { source: 'x', venueId: 'nope' }, POLICY)).rejects.toMatchObject({
      code: 'INVALID_VENUE',
    });
    await expect(
      publishMarketData(dataSource, { source: 'x' }, { ...POLICY, bandFraction: '1e-1' }),
    ).rejects.toMatchObject({ code: 'INVALID_POLICY' });
    expect(await counts()).toEqual(before);
  });

  it('upserts underlying returns and refuses a bad series as a whole', async () => {
    const returns = [
      { day: '2026-11-23', logReturn: 0.0123 },
      { day: '2026-11-24', logReturn: -0.0456 },
    ];
    await recordUnderlyingReturns(dataSource.manager, { underlying: 'BTC-USD', returns, stressedPeriod: false });
    await recordUnderlyingReturns(dataSource.manager, {
      underlying: 'BTC-USD',
      returns: [{ day: '2026-11-24', logReturn: -0.05 }],
      stressedPeriod: false,
    });
    await recordUnderlyingReturns(dataSource.manager, { underlying: 'BTC-USD', returns, stressedPeriod: true });
    for (const bad of [
      { day: '2026-02-30', logReturn: 0 },
      { day: '2026-11-25', logReturn: 10 },
      { day: '2026-11-25', logReturn: Number.POSITIVE_INFINITY },
    ]) {
      await expect(
        recordUnderlyingReturns(dataSource.manager, {
          underlying: 'BTC-USD',
          returns: [{ day: '2026-11-22', logReturn: 0.01 }, bad],
          stressedPeriod: false,
        }),
      ).rejects.toMatchObject({ code: 'INVALID_RETURN' });
    }
    const rows = await dataSource.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, log_return, stressed_period FROM underlying_return ORDER BY stressed_period, day`,
    );
    expect(rows).toEqual([
      { day: '2026-11-23', log_return: 0.0123, stressed_period: false },
      { day: '2026-11-24', log_return: -0.05, stressed_period: false },
      { day: '2026-11-23', log_return: 0.0123, stressed_period: true },
      { day: '2026-11-24', log_return: -0.0456, stressed_period: true },
    ]);
  });
});
