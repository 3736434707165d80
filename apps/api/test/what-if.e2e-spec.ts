import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Decimal } from '@novation/money';
import {
  AccountEntity,
  InstrumentEntity,
  MemberFirmEntity,
  VenueEntity,
  buildMarginRequest,
  instrumentJson,
  seedDemoMarket,
  submitTrades,
} from '@novation/persistence';
import { computeMargin, maxTradeSizeForRequest, parseMarginRequest, type MarginResult } from '@novation/risk';
import { createTestDatabase, testConfig, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { createApiApp } from '../src/api.app.js';
import { ApiKeyService } from '../src/auth/api-key.service.js';

const HOUR_MS = 3_600_000;

interface GraphqlResponse {
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string; field?: string } }[];
  };
}

const SIMULATE = `query($accountId: ID!, $input: SimulateMarginInput!) { simulateMargin(accountId: $accountId, input: $input) {
  model marginAsset status equity equityForInitialMargin equityForMaintenanceMargin initialMargin maintenanceMargin marginRatio
  groups { settlementAsset initialMargin maintenanceMargin equityContribution components { name initialMargin maintenanceMargin } }
  positions { instrumentId quantity markPrice equityContribution initialMargin maintenanceMargin } } }`;
const MAX_TRADE_SIZE = `query($accountId: ID!, $instrumentId: ID!) { maxTradeSize(accountId: $accountId, instrumentId: $instrumentId) {
  instrumentId quantityStep quantityCap buy { quantity bindingConstraint headroomAtQuantity }
  sell { quantity bindingConstraint headroomAtQuantity } } }`;

/** A decimal string as the API prints it (plain, no trailing zeros). */
const plain = (text: string | null): string | null => (text === null ? null : new Decimal(text).toFixed());

/** The fields of a margin result the API returns, normalised as the API prints them. */
function expectedFigures(result: MarginResult): Record<string, unknown> {
  return {
    model: result.model,
    marginAsset: result.marginAsset,
    status: result.status.toUpperCase(),
    equity: plain(result.equity),
    equityForInitialMargin: plain(result.equityForInitialMargin),
    equityForMaintenanceMargin: plain(result.equityForMaintenanceMargin),
    initialMargin: plain(result.initialMargin),
    maintenanceMargin: plain(result.maintenanceMargin),
    marginRatio: plain(result.marginRatio),
    groups: result.groups.map((group) => ({
      settlementAsset: group.settlementAsset,
      initialMargin: plain(group.initialMargin),
      maintenanceMargin: plain(group.maintenanceMargin),
      equityContribution: plain(group.equityContribution),
      components: group.components.map((component) => ({
        name: component.name,
        initialMargin: plain(component.initialMargin),
        maintenanceMargin: plain(component.maintenanceMargin),
      })),
    })),
    positions: result.positions.map((position) => ({
      instrumentId: position.instrumentId,
      quantity: plain(position.quantity),
      markPrice: plain(position.markPrice),
      equityContribution: plain(position.equityContribution),
      initialMargin: plain(position.initialMargin),
      maintenanceMargin: plain(position.maintenanceMargin),
    })),
  };
}

describe('margin what-ifs over GraphQL', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let baseUrl: string;
  let alphaKey: string;
  let venueKey: string;
  let alphaMainId: string;
  let bravoMainId: string;
  const instrumentIds = new Map<string, string>();

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createApiApp(testConfig({ DATABASE_URL: database.url }));
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    dataSource = app.get(DataSource);
    const now = Date.now();
    await seedDemoMarket(dataSource, new Date(now - HOUR_MS));
    for (const instrument of await dataSource.manager.find(InstrumentEntity)) {
      instrumentIds.set(instrument.symbol, instrument.id);
    }
    const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' });
    const bravo = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'BRAVO' });
    alphaMainId = (await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId: alpha.id, code: 'main' }))
      .id;
    bravoMainId = (await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId: bravo.id, code: 'main' }))
      .id;
    await dataSource.query(
      `INSERT INTO index_price (underlying, price, observed_at, source) VALUES ('BTC-USD', 100000, $1, 'test'), ('ETH-USD', 4000, $1, 'test')`,
      [new Date(now - 60_000)],
    );
    for (const [symbol, price] of [
      ['BTC-PERP', '100000'],
      ['ETH-PERP', '4000'],
    ] as const) {
      await dataSource.query(
        `INSERT INTO mark_price (instrument_id, price, observed_at, source) VALUES ($1, $2, $3, 'test')`,
        [instrumentIds.get(symbol), price, new Date(now - 60_000)],
      );
    }
    const venue = await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' });
    const result = await submitTrades(dataSource, {
      venueId: venue.id,
      mode: 'atomic',
      nowEpochMs: now,
      trades: [
        {
          venueId: venue.id,
          tradeId: 'setup-1',
          instrumentId: instrumentIds.get('BTC-PERP'),
          buyerAccountId: alphaMainId,
          sellerAccountId: bravoMainId,
          quantity: '2',
          price: '100000',
          buyerFee: '0',
          sellerFee: '0',
          executedAtEpochMs: now - 30_000,
        },
      ],
    });
    expect(result.counts.novated).toBe(1);
    const apiKeys = app.get(ApiKeyService);
    alphaKey = (await apiKeys.issue({ role: 'member', memberFirmId: alpha.id, label: 'alpha desk' })).key;
    venueKey = (await apiKeys.issue({ role: 'venue', venueId: venue.id, label: 'demo venue' })).key;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  async function graphql(
    key: string | undefined,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<GraphqlResponse> {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    expect(text).not.toMatch(/"stack"|\bat .+\.(?:js|ts|mjs):\d+/);
    return { status: response.status, body: JSON.parse(text) as GraphqlResponse['body'] };
  }

  const dataOf = (response: GraphqlResponse, field: string): unknown => {
    expect(response.body.errors).toBeUndefined();
    return response.body.data?.[field];
  };

  async function rowCounts(): Promise<Record<string, string>> {
    const [row] = await dataSource.query(
      `SELECT (SELECT count(*) FROM posting) AS postings, (SELECT count(*) FROM journal_entry) AS entries,
              (SELECT count(*) FROM trade) AS trades, (SELECT count(*) FROM position) AS positions,
              (SELECT count(*) FROM mark_price) AS marks, (SELECT count(*) FROM index_price) AS index_prices,
              (SELECT count(*) FROM margin_receipt) AS receipts, (SELECT count(*) FROM audit_log) AS audits,
              (SELECT coalesce(sum(version), 0) FROM position) AS position_versions`,
    );
    return row as Record<string, string>;
  }

  const realRequest = () => buildMarginRequest(dataSource.manager, alphaMainId, Date.now());

  it('without changes, returns the figures of computeMargin on the real request and writes nothing', async () => {
    const before = await rowCounts();
    const response = await graphql(alphaKey, SIMULATE, { accountId: alphaMainId, input: {} });
    expect(dataOf(response, 'simulateMargin')).toEqual(expectedFigures(computeMargin(await realRequest())));
    expect(await rowCounts()).toEqual(before);
  });

  it('applies trades and shocks, equal to computeMargin on the adjusted request, and writes nothing', async () => {
    const before = await rowCounts();
    const response = await graphql(alphaKey, SIMULATE, {
      accountId: alphaMainId,
      input: {
        trades: [
          { instrumentId: instrumentIds.get('ETH-PERP'), quantity: '1' },
          { instrumentId: instrumentIds.get('BTC-PERP'), quantity: '-0.5', price: '101000' },
        ],
        priceShocks: [{ underlying: 'BTC-USD', shockFraction: -0.1 }],
      },
    });
    const simulated = dataOf(response, 'simulateMargin');
    expect(await rowCounts()).toEqual(before);

    // The adjusted request, built by hand: ETH-PERP opened at its mark; half the BTC-PERP long sold at
    // 101000, realising 0.5 x 1000 = 500 USDC; then BTC-USD and the BTC-PERP mark down 10%.
    const request = await realRequest();
    const eth = await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'ETH-PERP' });
    const btcId = instrumentIds.get('BTC-PERP') as string;
    const adjusted = parseMarginRequest({
      ...request,
      positions: [
        { instrumentId: btcId, quantity: '1.5', averageEntryPrice: '100000' },
        { instrumentId: eth.id, quantity: '1', averageEntryPrice: '4000' },
      ].sort((a, b) => (a.instrumentId < b.instrumentId ? -1 : 1)),
      collateral: {
        ...request.collateral,
        holdings: request.collateral.holdings.map((holding) =>
          holding.asset === 'USDC' ? { ...holding, amount: new Decimal(holding.amount).plus(500).toFixed() } : holding,
        ),
      },
      marketSnapshot: {
        ...request.marketSnapshot,
        instruments: [...request.marketSnapshot.instruments, instrumentJson(eth)].sort((a, b) =>
          a.id < b.id ? -1 : 1,
        ),
        underlyingPrices: { ...request.marketSnapshot.underlyingPrices, 'BTC-USD': '90000', 'ETH-USD': '4000' },
        markPrices: { ...request.marketSnapshot.markPrices, [btcId]: '90000', [eth.id]: '4000' },
      },
    });
    expect(simulated).toEqual(expectedFigures(computeMargin(adjusted)));
    expect(simulated).not.toEqual(expectedFigures(computeMargin(request)));
  });

  it('returns the largest buy and sell of maxTradeSizeForRequest, writing nothing', async () => {
    const before = await rowCounts();
    const btcId = instrumentIds.get('BTC-PERP') as string;
    const response = await graphql(alphaKey, MAX_TRADE_SIZE, { accountId: alphaMainId, instrumentId: btcId });
    const expected = maxTradeSizeForRequest(await realRequest(), {
      instrumentId: btcId,
      quantityStep: new Decimal('0.001'),
      quantityMax: new Decimal('1000'),
    });
    const side = (result: typeof expected.buy) => ({
      quantity: result.quantity.toFixed(),
      bindingConstraint: result.bindingConstraint.toUpperCase().replaceAll('-', '_'),
      headroomAtQuantity: result.headroomAtQuantity.toFixed(),
    });
    expect(dataOf(response, 'maxTradeSize')).toEqual({
      instrumentId: btcId,
      quantityStep: '0.001',
      quantityCap: '1000',
      buy: side(expected.buy),
      sell: side(expected.sell),
    });
    expect(await rowCounts()).toEqual(before);
  });

  it("treats another firm's account like a missing one in both queries", async () => {
    const before = await rowCounts();
    const btcId = instrumentIds.get('BTC-PERP');
    for (const accountId of [bravoMainId, randomUUID(), 'not-an-id']) {
      const simulated = await graphql(alphaKey, SIMULATE, {
        accountId,
        input: { trades: [{ instrumentId: randomUUID(), quantity: '0' }], priceShocks: [] },
      });
      expect(simulated.body.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', field: 'accountId' });
      expect(simulated.body.data).toBeNull();
      const sized = await graphql(alphaKey, MAX_TRADE_SIZE, { accountId, instrumentId: btcId });
      expect(sized.body.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', field: 'accountId' });
    }
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses bad scenarios with typed errors', async () => {
    const btcId = instrumentIds.get('BTC-PERP');
    const cases: [Record<string, unknown>, string, string][] = [
      [{ trades: [{ instrumentId: randomUUID(), quantity: '1' }] }, 'NOT_FOUND', 'trades[0].instrumentId'],
      [{ trades: [{ instrumentId: btcId, quantity: '0' }] }, 'BAD_USER_INPUT', 'trades[0].quantity'],
      [
        { priceShocks: [{ underlying: 'BTC-USD', shockFraction: -1 }] },
        'BAD_USER_INPUT',
        'priceShocks[0].shockFraction',
      ],
      [
        { priceShocks: [{ underlying: 'DOGE-USD', shockFraction: 0.1 }] },
        'BAD_USER_INPUT',
        'priceShocks[0].underlying',
      ],
      [{ volatilityShockFraction: -1 }, 'BAD_USER_INPUT', 'volatilityShockFraction'],
    ];
    for (const [input, code, field] of cases) {
      const response = await graphql(alphaKey, SIMULATE, { accountId: alphaMainId, input });
      expect([input, response.body.errors?.[0]?.extensions]).toEqual([input, { code, field }]);
    }
    const unknown = await graphql(alphaKey, MAX_TRADE_SIZE, { accountId: alphaMainId, instrumentId: randomUUID() });
    expect(unknown.body.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', field: 'instrumentId' });
  });

  it('is for member keys only', async () => {
    const variables = { accountId: alphaMainId, input: {} };
    const venue = await graphql(venueKey, SIMULATE, variables);
    expect(venue.body.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    const anonymous = await graphql(undefined, SIMULATE, variables);
    expect(anonymous.body.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    const sized = await graphql(venueKey, MAX_TRADE_SIZE, { accountId: alphaMainId, instrumentId: randomUUID() });
    expect(sized.body.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});
