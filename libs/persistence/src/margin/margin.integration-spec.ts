import { Decimal } from '@novation/money';
import { computeMarginReceipt, replayMarginReceipt } from '@novation/risk';
import { createTestDatabase, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { auditInvariants } from '../audit/auditor.js';
import { dataSourceOptions, migrateUp } from '../data-source.js';
import { ReceiptParameters1795850000000 } from '../migrations/1795850000000-ReceiptParameters.js';
import { MarginCallEntity, MarginReceiptEntity } from '../entities/margin.entity.js';
import { AccountEntity, MemberFirmEntity } from '../entities/membership.entity.js';
import { InstrumentEntity, VenueEntity } from '../entities/reference-data.entity.js';
import { postJournalEntry } from '../ledger.js';
import { seedDemoMarket } from '../seed/demo-market.js';
import { DEMO_PARAMETER_SET_VERSION, ensureDemoParameterSet } from './demo-parameter-set.js';
import { exportReceipt, marginAccount, marginAccounts } from './margin-account.js';
import { buildMarginRequest } from './margin-request-builder.js';
import { MarginServiceError } from './margin-service-error.js';
import { activeParameterSet } from './parameter-set-body.js';
import { inTransactionWithRetry } from './transaction.js';

const SEED_TIME = new Date('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;
const T0 = SEED_TIME.getTime() + HOUR;

describe('margin accounts from database state', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let venueId: string;
  let custodyId: string;
  let tradeCount = 0;
  const instrumentIds = new Map<string, string>();

  beforeAll(async () => {
    database = await createTestDatabase();
    const options = dataSourceOptions({
      database: { url: database.url, poolSizeMax: 5, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
    });
    dataSource = new DataSource({ ...options, logging: false });
    await dataSource.initialize();
    await migrateUp(dataSource);
    await seedDemoMarket(dataSource, SEED_TIME);
    await dataSource.transaction((manager) => ensureDemoParameterSet(manager, SEED_TIME.getTime()));
    venueId = (await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' })).id;
    custodyId = (await dataSource.manager.findOneByOrFail(AccountEntity, { houseRole: 'custody' })).id;
    for (const instrument of await dataSource.manager.find(InstrumentEntity)) {
      instrumentIds.set(instrument.symbol, instrument.id);
    }
    await indexPrice('BTC-USD', '100000', T0 - 60_000);
    await indexPrice('ETH-USD', '4000', T0 - 60_000);
    await markPrice('BTC-PERP', '100000', T0 - 60_000);
  });

  afterEach(async () => {
    expect(await auditInvariants(dataSource)).toEqual([]);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  function instrument(symbol: string): string {
    const id = instrumentIds.get(symbol) ?? [...instrumentIds.entries()].find(([name]) => name.startsWith(symbol))?.[1];
    if (id === undefined) throw new Error(`no instrument ${symbol}`);
    return id;
  }

  async function indexPrice(underlying: string, price: string, atMs: number): Promise<void> {
    await dataSource.query(
      `INSERT INTO index_price (underlying, price, observed_at, source) VALUES ($1, $2, $3, 'test')`,
      [underlying, price, new Date(atMs)],
    );
  }

  async function markPrice(symbol: string, price: string, atMs: number, impliedVolatility?: number): Promise<void> {
    await dataSource.query(
      `INSERT INTO mark_price (instrument_id, price, implied_volatility, observed_at, source) VALUES ($1, $2, $3, $4, 'test')`,
      [instrument(symbol), price, impliedVolatility ?? null, new Date(atMs)],
    );
  }

  /** A member firm with one cross USDC account funded with `usdc`. */
  async function fundedAccount(code: string, usdc: string, kind: 'cross' | 'portfolio' = 'cross'): Promise<string> {
    const firm = await dataSource.manager.save(
      MemberFirmEntity,
      dataSource.manager.create(MemberFirmEntity, { code, name: code }),
    );
    const account = await dataSource.manager.save(
      AccountEntity,
      dataSource.manager.create(AccountEntity, {
        memberFirmId: firm.id,
        code: 'main',
        kind,
        houseRole: null,
        settlementAsset: 'USDC',
        isolatedInstrumentId: null,
      }),
    );
    await dataSource.transaction((manager) =>
      postJournalEntry(manager, {
        idempotencyKey: `test:fund:${code}`,
        kind: 'deposit',
        description: 'test funding',
        postings: [
          { accountId: account.id, asset: 'USDC', amount: new Decimal(usdc) },
          { accountId: custodyId, asset: 'USDC', amount: new Decimal(usdc).negated() },
        ],
      }),
    );
    return account.id;
  }

  /** A trade and the two opposite positions it opens (both accounts flat in the instrument before). */
  async function openPositions(
    buyer: string,
    seller: string,
    symbol: string,
    quantity: string,
    price: string,
  ): Promise<void> {
    tradeCount += 1;
    const instrumentId = instrument(symbol);
    const [trade] = await dataSource.query(
      `INSERT INTO trade (venue_id, venue_trade_id, instrument_id, buyer_account_id, seller_account_id, quantity, price,
                          buyer_fee, seller_fee, executed_at, payload_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, $8, repeat('0', 64)) RETURNING id`,
      [venueId, `test-${tradeCount}`, instrumentId, buyer, seller, quantity, price, new Date(T0 - HOUR / 2)],
    );
    for (const [accountId, signed] of [
      [buyer, quantity],
      [seller, `-${quantity}`],
    ] as const) {
      await dataSource.query(
        `INSERT INTO position (account_id, instrument_id, quantity, average_entry_price, last_trade_id) VALUES ($1, $2, $3, $4, $5)`,
        [accountId, instrumentId, signed, price, trade.id],
      );
    }
  }

  async function accountRow(id: string): Promise<AccountEntity> {
    return dataSource.manager.findOneByOrFail(AccountEntity, { id });
  }

  it('runs its transactions at READ COMMITTED, the isolation every connection states', async () => {
    const levels = await inTransactionWithRetry(dataSource, async (manager) => [
      ...((await manager.query('SHOW transaction_isolation')) as { transaction_isolation: string }[]),
      ...((await manager.query('SHOW default_transaction_isolation')) as { default_transaction_isolation: string }[]),
    ]);
    expect(levels).toEqual([
      { transaction_isolation: 'read committed' },
      { default_transaction_isolation: 'read committed' },
    ]);
  });

  it('finds the active parameter set, and none before it is effective', async () => {
    const active = await activeParameterSet(dataSource.manager, T0);
    expect(active.version).toBe(DEMO_PARAMETER_SET_VERSION);
    expect(active.body.models).toEqual({ cross: 'standard', isolated: 'standard', portfolio: 'portfolio-scenario' });
    await expect(activeParameterSet(dataSource.manager, SEED_TIME.getTime() - 1)).rejects.toMatchObject({
      code: 'NO_ACTIVE_PARAMETER_SET',
    });
    // Idempotent: a second call inserts nothing.
    await dataSource.transaction((manager) => ensureDemoParameterSet(manager, T0));
    const [{ sets }] = await dataSource.query(`SELECT count(*)::int AS sets FROM risk_parameter_set`);
    expect(sets).toBe(1);
  });

  it('margins a seeded account with collateral only, deterministically, and the receipt replays', async () => {
    const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' });
    const main = await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId: alpha.id, code: 'main' });
    const first = await buildMarginRequest(dataSource.manager, main.id, T0);
    expect(first.collateral).toEqual({
      marginAsset: 'USDC',
      holdings: [
        { asset: 'BTC', amount: '10' },
        { asset: 'USDC', amount: '2500000' },
      ],
    });
    expect(first.marketSnapshot.assetPrices).toEqual({ BTC: '100000' });
    const outcome = await marginAccount(dataSource, main.id, T0);
    expect(outcome.result.status).toBe('healthy');
    expect(outcome.result.initialMargin).toBe('0');
    // 2,500,000 + 10 BTC at 100,000 with a 10% IM haircut.
    expect(outcome.result.equityForInitialMargin).toBe('3400000');
    expect(outcome).toMatchObject({ previousState: 'healthy', newState: 'healthy' });
    const again = await marginAccount(dataSource, main.id, T0);
    const rows = await dataSource.manager.findBy(MarginReceiptEntity, { accountId: main.id });
    expect(rows).toHaveLength(2);
    expect(rows[0]?.inputsHash).toBe(rows[1]?.inputsHash);
    const exported = await exportReceipt(dataSource.manager, again.receiptId);
    expect(replayMarginReceipt(exported)).toEqual({ match: true });
  });

  it('refuses house and unknown accounts with typed errors', async () => {
    await expect(buildMarginRequest(dataSource.manager, custodyId, T0)).rejects.toMatchObject({
      code: 'NOT_A_MEMBER_ACCOUNT',
    });
    await expect(marginAccount(dataSource, '00000000-0000-4000-8000-000000000000', T0)).rejects.toMatchObject({
      code: 'UNKNOWN_ACCOUNT',
    });
    await expect(marginAccount(dataSource, 'not-a-uuid', T0)).rejects.toBeInstanceOf(MarginServiceError);
    await expect(exportReceipt(dataSource.manager, '999999')).rejects.toMatchObject({ code: 'UNKNOWN_RECEIPT' });
  });

  it('moves healthy -> margin_call -> healthy -> liquidating as the mark moves', async () => {
    const long = await fundedAccount('LONG1', '12000');
    const short = await fundedAccount('SHORT1', '100000');
    await openPositions(long, short, 'BTC-PERP', '5', '100000');

    const healthy = await marginAccount(dataSource, long, T0);
    expect(healthy.result.status).toBe('healthy');
    expect(healthy.result.initialMargin).toBe('10000'); // 2% of 500,000
    expect(healthy.result.maintenanceMargin).toBe('5000');
    expect(healthy.newState).toBe('healthy');
    expect(replayMarginReceipt(await exportReceipt(dataSource.manager, healthy.receiptId))).toEqual({ match: true });

    const t1 = T0 + HOUR;
    await markPrice('BTC-PERP', '99500', t1 - 1000);
    const called = await marginAccount(dataSource, long, t1);
    expect(called.result.status).toBe('below_initial_margin');
    expect(called).toMatchObject({ previousState: 'healthy', newState: 'margin_call' });
    expect(called.marginCallId).toBeDefined();
    const call = await dataSource.manager.findOneByOrFail(MarginCallEntity, { id: called.marginCallId as string });
    expect(call.status).toBe('open');
    expect(call.asset).toBe('USDC');
    expect(call.receiptId).toBe(called.receiptId);
    expect(call.shortfall.toFixed()).toBe(
      new Decimal(called.result.initialMargin).minus(called.result.equityForInitialMargin).toFixed(),
    );
    expect(call.shortfall.toFixed()).toBe('450'); // IM 9,950 - equity 9,500
    expect(call.deadlineAt.getTime()).toBe(t1 + 24 * HOUR);
    const afterCall = await accountRow(long);
    expect(afterCall.marginState).toBe('margin_call');
    expect(afterCall.marginStateVersion).toBe('1');

    // Still below IM: no second call, no state change.
    const stillCalled = await marginAccount(dataSource, long, t1 + 1);
    expect(stillCalled).toMatchObject({ previousState: 'margin_call', newState: 'margin_call' });
    expect(stillCalled.marginCallId).toBeUndefined();
    expect((await accountRow(long)).marginStateVersion).toBe('1');

    const t2 = T0 + 2 * HOUR;
    await markPrice('BTC-PERP', '100000', t2 - 1000);
    const recovered = await marginAccount(dataSource, long, t2);
    expect(recovered).toMatchObject({
      previousState: 'margin_call',
      newState: 'healthy',
      marginCallId: called.marginCallId,
    });
    const met = await dataSource.manager.findOneByOrFail(MarginCallEntity, { id: called.marginCallId as string });
    expect(met.status).toBe('met');
    expect(met.resolvedAt?.getTime()).toBe(t2);
    expect((await accountRow(long)).marginStateVersion).toBe('2');

    const t3 = T0 + 3 * HOUR;
    await markPrice('BTC-PERP', '98500', t3 - 1000);
    const liquidating = await marginAccount(dataSource, long, t3);
    expect(liquidating.result.status).toBe('below_maintenance_margin');
    expect(liquidating).toMatchObject({ previousState: 'healthy', newState: 'liquidating' });
    const after = await accountRow(long);
    expect(after.marginState).toBe('liquidating');
    expect(after.marginStateVersion).toBe('3');
    expect(replayMarginReceipt(await exportReceipt(dataSource.manager, liquidating.receiptId))).toEqual({
      match: true,
    });

    // Healthy again on paper: a margin run never leaves 'liquidating' (the liquidation process does).
    const t4 = T0 + 4 * HOUR;
    await markPrice('BTC-PERP', '100000', t4 - 1000);
    const stays = await marginAccount(dataSource, long, t4);
    expect(stays).toMatchObject({ previousState: 'liquidating', newState: 'liquidating' });
    await markPrice('BTC-PERP', '100000', T0 + 5 * HOUR);

    // Each state change recorded one account event (and the call its own two), none for the runs that changed
    // nothing (liquidation events are the liquidation tests' business); equity 12,000 + 5 x (mark - 100,000), IM 2% and MM 1% of 5 x mark.
    const events = (await dataSource.query(
      `SELECT kind, dedupe_key, payload FROM account_event WHERE account_id = $1 AND kind LIKE 'margin-%' ORDER BY id`,
      [long],
    )) as { kind: string; dedupe_key: string; payload: Record<string, unknown> }[];
    const callId = called.marginCallId as string;
    expect(events).toEqual([
      {
        kind: 'margin-state-changed',
        dedupe_key: `margin-state:${called.receiptId}`,
        payload: {
          fromState: 'healthy',
          toState: 'margin_call',
          marginAsset: 'USDC',
          equity: '9500',
          initialMargin: '9950',
          maintenanceMargin: '4975',
          receiptId: called.receiptId,
        },
      },
      {
        kind: 'margin-call-opened',
        dedupe_key: `margin-call-opened:${callId}`,
        payload: {
          marginCallId: callId,
          shortfall: '450',
          asset: 'USDC',
          deadlineAt: new Date(t1 + 24 * HOUR).toISOString(),
          receiptId: called.receiptId,
        },
      },
      expect.objectContaining({
        kind: 'margin-state-changed',
        payload: expect.objectContaining({ fromState: 'margin_call', toState: 'healthy', equity: '12000' }),
      }),
      {
        kind: 'margin-call-resolved',
        dedupe_key: `margin-call-resolved:${callId}`,
        payload: { marginCallId: callId, status: 'met', resolvedAt: new Date(t2).toISOString() },
      },
      expect.objectContaining({
        kind: 'margin-state-changed',
        dedupe_key: `margin-state:${liquidating.receiptId}`,
        payload: expect.objectContaining({ toState: 'liquidating', equity: '4500', maintenanceMargin: '4925' }),
      }),
    ]);
  });

  it('refuses with MISSING_MARKET_DATA naming the instrument, and changes nothing', async () => {
    const buyer = await fundedAccount('MISS1', '50000');
    const seller = await fundedAccount('MISS2', '50000');
    await openPositions(buyer, seller, 'ETH-PERP', '2', '4000');
    const before = await dataSource.query(`SELECT count(*)::int AS receipts FROM margin_receipt`);
    const failure = await marginAccount(dataSource, buyer, T0).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MarginServiceError);
    expect(failure).toMatchObject({ code: 'MISSING_MARKET_DATA', field: `markPrices.${instrument('ETH-PERP')}` });
    expect(await dataSource.query(`SELECT count(*)::int AS receipts FROM margin_receipt`)).toEqual(before);
    expect((await accountRow(buyer)).marginStateVersion).toBe('0');
    // With the mark it margins.
    await markPrice('ETH-PERP', '4000', T0 - 1000);
    expect((await marginAccount(dataSource, buyer, T0)).result.initialMargin).toBe('160');
  });

  it('margins option portfolios (portfolio-scenario, BTC and USDC margin assets) and the receipts replay', async () => {
    const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' });
    const charlie = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'CHARLIE' });
    const options = await dataSource.manager.findOneByOrFail(AccountEntity, {
      memberFirmId: alpha.id,
      code: 'options',
    });
    const portfolio = await dataSource.manager.findOneByOrFail(AccountEntity, {
      memberFirmId: charlie.id,
      code: 'portfolio',
    });
    const call = [...instrumentIds.keys()].find((symbol) => symbol.endsWith('-100000-C')) as string;
    await openPositions(options.id, portfolio.id, call, '10', '0.05');
    await markPrice(call, '0.05', T0 - 1000, 0.6);
    const long = await marginAccount(dataSource, options.id, T0);
    const short = await marginAccount(dataSource, portfolio.id, T0);
    expect(long.result.model).toBe('portfolio-scenario');
    expect(long.result.marginAsset).toBe('BTC');
    expect(short.result.marginAsset).toBe('USDC');
    expect(new Decimal(short.result.initialMargin).greaterThan(0)).toBe(true);
    const shortRequest = await buildMarginRequest(dataSource.manager, portfolio.id, T0);
    expect(shortRequest.marketSnapshot.assetPrices).toEqual({ BTC: '100000', ETH: '4000' });
    expect(shortRequest.marketSnapshot.impliedVolatilities).toEqual({ [instrument(call)]: 0.6 });
    for (const outcome of [long, short]) {
      const exported = await exportReceipt(dataSource.manager, outcome.receiptId);
      expect(replayMarginReceipt(exported)).toEqual({ match: true });
    }
    // A missing implied vol is missing market data, not a guess.
    const put = [...instrumentIds.keys()].find((symbol) => symbol.endsWith('-80000-P')) as string;
    await openPositions(options.id, portfolio.id, put, '1', '0.01');
    await markPrice(put, '0.01', T0 - 1000);
    await expect(marginAccount(dataSource, options.id, T0)).rejects.toMatchObject({
      code: 'MISSING_MARKET_DATA',
      field: `impliedVolatilities.${instrument(put)}`,
    });
    await markPrice(put, '0.01', T0 - 500, 0.7);
    expect((await marginAccount(dataSource, options.id, T0)).result.status).toBe('healthy');
  });

  it('builds historical-ES requests with the return history up to the valuation day', async () => {
    const active = await activeParameterSet(dataSource.manager, T0);
    const parameterSet = {
      ...active,
      version: 'hist-es-test',
      body: {
        ...active.body,
        models: { ...active.body.models, cross: 'historical-es' as const },
        parameters: {
          ...active.body.parameters,
          historicalEs: {
            lookbackDays: 250,
            confidence: 0.975,
            measure: 'expected-shortfall' as const,
            marginPeriodOfRiskDays: 2,
            horizonMethod: 'overlapping' as const,
            filtering: { kind: 'none' as const },
            antiProcyclicality: { kind: 'buffer' as const, bufferFraction: 0.25 },
            liquidity: {},
            maintenanceFactor: 0.8,
            volatilityFloor: 0.05,
          },
        },
      },
    };
    await dataSource.query(
      `INSERT INTO underlying_return (underlying, day, log_return)
       SELECT 'BTC-USD', date '2026-11-25' - g, 0.01 + 0.03 * sin(g) FROM generate_series(0, 299) g`,
    );
    await dataSource.query(
      `INSERT INTO underlying_return (underlying, day, log_return) VALUES ('BTC-USD', '2026-11-26', 0.5)`,
    );
    const buyer = await fundedAccount('HES1', '50000');
    const seller = await fundedAccount('HES2', '50000');
    await openPositions(buyer, seller, 'BTC-PERP', '1', '100000');
    const request = await buildMarginRequest(dataSource.manager, buyer, T0, { parameterSet });
    expect(request.model).toBe('historical-es');
    expect(request.parameterSetVersion).toBe('hist-es-test');
    const history = request.marketSnapshot.returnHistory?.['BTC-USD'] ?? [];
    expect(history).toHaveLength(251); // 250 scenarios of overlapping 2-day windows
    expect(history[history.length - 1]).toBe(0.01); // 2026-11-25, not the day after the valuation
    const receipt = computeMarginReceipt(request);
    expect(new Decimal(receipt.result.initialMargin).greaterThan(0)).toBe(true);
    expect(replayMarginReceipt(receipt)).toEqual({ match: true });
    await expect(buildMarginRequest(dataSource.manager, buyer, Number.NaN)).rejects.toMatchObject({
      code: 'INVALID_TIME',
    });
  });

  it('margins a batch exactly as one by one: same receipts, same state changes, failures reported per account', async () => {
    const t9 = T0 + 10 * HOUR;
    await markPrice('BTC-PERP', '100000', t9 - 2_000);
    const called = await fundedAccount('BATCH-CALL', '12000');
    const breached = await fundedAccount('BATCH-MM', '7000');
    const healthy = await fundedAccount('BATCH-OK', '50000');
    // One counterparty per account: openPositions opens positions from flat.
    const maker = await fundedAccount('BATCH-MAKER', '1000000');
    await openPositions(called, maker, 'BTC-PERP', '5', '100000');
    const okSeller = await fundedAccount('BATCH-MAKER2', '1000000');
    await openPositions(healthy, okSeller, 'BTC-PERP', '1', '100000');
    const breachedSeller = await fundedAccount('BATCH-MAKER3', '1000000');
    await openPositions(breached, breachedSeller, 'BTC-PERP', '5', '100000');
    // 5 x 99,500: IM 2% = 9,950, MM 1% = 4,975; equity 12,000 - 2,500 = 9,500 (call), 7,000 - 2,500 = 4,500 (MM).
    await markPrice('BTC-PERP', '99500', t9 - 1_000);
    const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' });
    const alphaOptions = await dataSource.manager.findOneByOrFail(AccountEntity, {
      memberFirmId: alpha.id,
      code: 'options',
    });
    const members = [called, breached, healthy, maker, okSeller, breachedSeller, alphaOptions.id];
    const expectedHashes = new Map<string, string>();
    for (const id of members) {
      expectedHashes.set(id, computeMarginReceipt(await buildMarginRequest(dataSource.manager, id, t9)).inputsHash);
    }
    const unknown = '00000000-0000-4000-8000-0000000000ff';
    const batch = await marginAccounts(dataSource, [...members, custodyId, unknown, 'not-a-uuid', called], t9);

    expect(new Set(batch.outcomes.keys())).toEqual(new Set(members));
    expect(
      Object.fromEntries([...batch.failures].map(([id, error]) => [id, (error as MarginServiceError).code])),
    ).toEqual({ [custodyId]: 'NOT_A_MEMBER_ACCOUNT', [unknown]: 'UNKNOWN_ACCOUNT', 'not-a-uuid': 'UNKNOWN_ACCOUNT' });
    for (const id of members) {
      const outcome = batch.outcomes.get(id);
      const stored = await dataSource.manager.findOneByOrFail(MarginReceiptEntity, {
        id: outcome?.receiptId as string,
      });
      expect(stored.accountId).toBe(id);
      expect(stored.inputsHash).toBe(expectedHashes.get(id));
      expect(replayMarginReceipt(await exportReceipt(dataSource.manager, stored.id))).toEqual({ match: true });
    }
    expect(batch.outcomes.get(called)).toMatchObject({ previousState: 'healthy', newState: 'margin_call' });
    const call = await dataSource.manager.findOneByOrFail(MarginCallEntity, {
      id: batch.outcomes.get(called)?.marginCallId as string,
    });
    expect(call.shortfall.toFixed()).toBe('450');
    expect(batch.outcomes.get(breached)).toMatchObject({ previousState: 'healthy', newState: 'liquidating' });
    const liquidations: { account_id: string; status: string }[] = await dataSource.query(
      `SELECT account_id, status FROM liquidation WHERE account_id = ANY($1::uuid[])`,
      [members],
    );
    expect(liquidations).toEqual([{ account_id: breached, status: 'pending' }]);
    expect(batch.outcomes.get(healthy)).toMatchObject({ previousState: 'healthy', newState: 'healthy' });
    expect((await accountRow(called)).marginState).toBe('margin_call');
    expect((await accountRow(breached)).marginState).toBe('liquidating');

    // A second batch changes no state and opens nothing twice; one account per id however often it is named.
    const again = await marginAccounts(dataSource, [called, breached, called], t9 + 1);
    expect(again.outcomes.get(called)).toMatchObject({ previousState: 'margin_call', newState: 'margin_call' });
    expect(again.outcomes.get(breached)).toMatchObject({ previousState: 'liquidating', newState: 'liquidating' });
    const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM liquidation WHERE account_id = $1`, [
      breached,
    ]);
    expect(count).toBe(1);
  });

  it('stores a parameter set once for all its receipts, exports them whole, and its migration goes down and up', async () => {
    const rows: { receipts: number; hashes: number; inline: number }[] = await dataSource.query(
      `SELECT count(*)::int AS receipts, count(DISTINCT parameters_hash)::int AS hashes,
              count(*) FILTER (WHERE inputs ? 'parameters')::int AS inline
         FROM margin_receipt`,
    );
    const [stored] = rows;
    expect(stored?.receipts).toBeGreaterThan(10);
    expect(stored?.inline).toBe(0);
    // One row per parameter content (the tests above margin under one set, some under a re-parameterised one).
    const [parameterRows] = (await dataSource.query(
      `SELECT count(*)::int AS count FROM margin_receipt_parameters`,
    )) as { count: number }[];
    expect(parameterRows?.count).toBe(stored?.hashes);
    expect(parameterRows?.count).toBeLessThan(stored?.receipts ?? 0);
    const [latest] = (await dataSource.query(`SELECT id::text AS id FROM margin_receipt ORDER BY id DESC LIMIT 1`)) as {
      id: string;
    }[];
    const exported = await exportReceipt(dataSource.manager, latest?.id ?? '');
    expect(exported.parameters).toEqual(expect.any(Object));
    expect(replayMarginReceipt(exported)).toEqual({ match: true });
    // Down: every receipt's parameters back inline; the export (and its replay) is the same document.
    const migration = new ReceiptParameters1795850000000();
    const queryRunner = dataSource.createQueryRunner();
    try {
      await migration.down(queryRunner);
      const [inline] = (await dataSource.query(
        `SELECT count(*) FILTER (WHERE inputs ? 'parameters')::int AS inline, count(*)::int AS receipts
           FROM margin_receipt`,
      )) as { inline: number; receipts: number }[];
      expect(inline?.inline).toBe(inline?.receipts);
      const legacy = await dataSource.query(
        `SELECT inputs_hash, inputs, result, engine_version, model, parameter_set_version, result_hash
           FROM margin_receipt WHERE id = $1`,
        [latest?.id],
      );
      const [row] = legacy as { inputs: Record<string, unknown> }[];
      expect(row?.inputs['parameters']).toEqual(exported.parameters);
      // Up again: rows stored inline stay inline and still export whole; new ones store them apart.
      await migration.up(queryRunner);
      expect(await exportReceipt(dataSource.manager, latest?.id ?? '')).toEqual(exported);
    } finally {
      await queryRunner.release();
    }
  });
});
