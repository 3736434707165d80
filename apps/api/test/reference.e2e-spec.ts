import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  DEMO_PARAMETER_SET_VERSION,
  InstrumentEntity,
  MemberFirmEntity,
  RiskParameterSetEntity,
  VenueEntity,
  seedDemoMarket,
} from '@novation/persistence';
import { createTestDatabase, testConfig, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { createApiApp } from '../src/api.app.js';
import { ApiKeyService } from '../src/auth/api-key.service.js';
import { API_ERROR_CODES } from '../src/common/error-code.js';

const HOUR_MS = 3_600_000;

interface GraphqlError {
  message: string;
  path?: string[];
  extensions?: { code?: string; field?: string };
}

interface GraphqlResponse {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: GraphqlError[] };
}

interface InstrumentJson {
  id: string;
  symbol: string;
  [field: string]: unknown;
}

interface Connection<Node> {
  edges: { cursor: string; node: Node }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const INSTRUMENT_FIELDS = `id symbol kind settlementType underlying quoteAsset settlementAsset contractSize quantityStep
  priceTick expiresAt strike optionType underlyingReference status`;
const MARKET_DATA_FIELDS = `instrumentId mark { price impliedVolatility observedAt } index { underlying price observedAt }`;
const INSTRUMENTS = `query($first: Int!, $after: String, $underlying: String, $kind: InstrumentKind, $status: InstrumentStatus) {
  instruments(first: $first, after: $after, underlying: $underlying, kind: $kind, status: $status) {
    edges { cursor node { ${INSTRUMENT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
const INSTRUMENT = `query($id: ID!) { instrument(id: $id) { ${INSTRUMENT_FIELDS} marketData { ${MARKET_DATA_FIELDS} } } }`;
const MARKET_DATA = `query($instrumentId: ID!) { marketData(instrumentId: $instrumentId) { ${MARKET_DATA_FIELDS} } }`;
const RISK_PARAMETERS = `{ riskParameters { id version effectiveFrom models { cross isolated portfolio }
  assets { asset scale initialHaircut maintenanceHaircut usdIndex } usdAssets riskFreeRate marginCallDeadlineMs
  liquidation { penaltyFraction maxSliceFraction coolDownMs deficitMode } modelParameters } }`;

describe('reference data over GraphQL: instruments, market data, risk parameters, error codes', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let baseUrl: string;
  let memberKey: string;
  let venueKey: string;
  let custodyKey: string;
  let adminKey: string;
  let seededAt: Date;
  const instrumentIds = new Map<string, string>();
  const observedAt = (msAgo: number) => new Date(seededAt.getTime() + HOUR_MS - msAgo);

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createApiApp(testConfig({ DATABASE_URL: database.url }));
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    dataSource = app.get(DataSource);
    seededAt = new Date(Date.now() - HOUR_MS);
    await seedDemoMarket(dataSource, seededAt);
    for (const instrument of await dataSource.manager.find(InstrumentEntity)) {
      instrumentIds.set(instrument.symbol, instrument.id);
    }
    // Two index prices and two marks each: the later observation is the one served, whatever the insert order.
    await dataSource.query(
      `INSERT INTO index_price (underlying, price, observed_at, source)
       VALUES ('BTC-USD', 100250.5, $1, 'test'), ('BTC-USD', 99000, $2, 'test'), ('ETH-USD', 4000.25, $1, 'test')`,
      [observedAt(30_000), observedAt(60_000)],
    );
    await markPrice('BTC-PERP', '101000.25', null, observedAt(20_000));
    await markPrice('BTC-PERP', '100000', null, observedAt(40_000));
    await markPrice(optionSymbol(100_000, 'C'), '0.0415', 0.55, observedAt(20_000));
    await markPrice(optionSymbol(100_000, 'C'), '0.05', 0.6, observedAt(50_000));

    // Parameter sets that must never be served: a draft, a proposal and a rejected set already "effective",
    // and an approved set effective only tomorrow.
    const demo = await dataSource.manager.findOneByOrFail(RiskParameterSetEntity, {
      version: DEMO_PARAMETER_SET_VERSION,
    });
    const later = new Date(seededAt.getTime() + HOUR_MS / 2);
    for (const [version, status, effectiveFrom] of [
      ['draft-2', 'draft', later],
      ['proposed-2', 'proposed', later],
      ['rejected-2', 'rejected', later],
      ['approved-tomorrow', 'approved', new Date(Date.now() + 24 * HOUR_MS)],
    ] as const) {
      await dataSource.manager.insert(RiskParameterSetEntity, {
        version,
        status,
        body: { ...(demo.body as object), riskFreeRate: 0.99 },
        effectiveFrom,
      });
    }

    const apiKeys = app.get(ApiKeyService);
    const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' });
    const venue = await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' });
    memberKey = (await apiKeys.issue({ role: 'member', memberFirmId: alpha.id, label: 'alpha desk' })).key;
    venueKey = (await apiKeys.issue({ role: 'venue', venueId: venue.id, label: 'demo venue' })).key;
    custodyKey = (await apiKeys.issue({ role: 'custody', label: 'custody bot' })).key;
    adminKey = (await apiKeys.issue({ role: 'admin', label: 'ops' })).key;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  /** The demo option symbol of a strike and type (its expiry code follows the seed date). */
  function optionSymbol(strike: number, type: 'C' | 'P'): string {
    const symbol = [...instrumentIds.keys()].find((candidate) => candidate.endsWith(`-${strike}-${type}`));
    if (symbol === undefined) throw new Error(`no demo option ${strike}-${type}`);
    return symbol;
  }

  async function markPrice(symbol: string, price: string, impliedVolatility: number | null, at: Date): Promise<void> {
    const instrumentId = instrumentIds.get(symbol);
    expect(instrumentId).toBeDefined();
    await dataSource.query(
      `INSERT INTO mark_price (instrument_id, price, implied_volatility, observed_at, source) VALUES ($1, $2, $3, $4, 'test')`,
      [instrumentId, price, impliedVolatility, at],
    );
  }

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

  async function data<T>(key: string | undefined, query: string, field: string, variables = {}): Promise<T> {
    const { body } = await graphql(key, query, variables);
    expect(body.errors).toBeUndefined();
    return body.data?.[field] as T;
  }

  const errorOf = (response: GraphqlResponse) => {
    expect(response.body.errors).toHaveLength(1);
    return response.body.errors?.[0] as GraphqlError;
  };

  describe('instruments', () => {
    it('pages through every instrument by symbol, to any authenticated role', async () => {
      const symbols: string[] = [];
      let after: string | null = null;
      const hasNext: boolean[] = [];
      for (let page = 0; page < 5; page += 1) {
        const connection: Connection<InstrumentJson> = await data(venueKey, INSTRUMENTS, 'instruments', {
          first: 4,
          after,
        });
        symbols.push(...connection.edges.map((edge) => edge.node.symbol));
        hasNext.push(connection.pageInfo.hasNextPage);
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
      expect(hasNext).toEqual([true, true, false]);
      expect(symbols).toEqual([...instrumentIds.keys()].sort());
      expect(symbols).toHaveLength(9);
      for (const key of [memberKey, custodyKey, adminKey]) {
        const page = await data<Connection<InstrumentJson>>(key, INSTRUMENTS, 'instruments', { first: 100 });
        expect(page.edges.map((edge) => edge.node.symbol)).toEqual(symbols);
      }
    });

    it('serves the contract terms exactly', async () => {
      const inverse = await data<InstrumentJson>(memberKey, INSTRUMENT, 'instrument', {
        id: instrumentIds.get('BTC-USD-PERP'),
      });
      expect(inverse).toEqual({
        id: instrumentIds.get('BTC-USD-PERP'),
        symbol: 'BTC-USD-PERP',
        kind: 'PERPETUAL',
        settlementType: 'INVERSE',
        underlying: 'BTC-USD',
        quoteAsset: 'USDC',
        settlementAsset: 'BTC',
        contractSize: '10',
        quantityStep: '1',
        priceTick: null,
        expiresAt: null,
        strike: null,
        optionType: null,
        underlyingReference: null,
        status: 'ACTIVE',
        marketData: { instrumentId: instrumentIds.get('BTC-USD-PERP'), mark: null, index: expect.any(Object) },
      });
      const call = await data<InstrumentJson>(memberKey, INSTRUMENT, 'instrument', {
        id: instrumentIds.get(optionSymbol(100_000, 'C')),
      });
      expect(call).toMatchObject({
        kind: 'OPTION',
        settlementType: 'INVERSE',
        settlementAsset: 'BTC',
        strike: '100000',
        optionType: 'CALL',
        underlyingReference: 'spot',
        quantityStep: '0.1',
        expiresAt: (
          await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: optionSymbol(100_000, 'C') })
        ).expiresAt?.toISOString(),
      });
    });

    it('filters by underlying, kind and status', async () => {
      const symbolsOf = async (variables: Record<string, unknown>) =>
        (
          await data<Connection<InstrumentJson>>(memberKey, INSTRUMENTS, 'instruments', { first: 100, ...variables })
        ).edges.map((edge) => edge.node.symbol);
      expect(await symbolsOf({ underlying: 'ETH-USD' })).toEqual(['ETH-PERP']);
      expect(await symbolsOf({ kind: 'OPTION' })).toEqual(
        [
          optionSymbol(100_000, 'C'),
          optionSymbol(110_000, 'C'),
          optionSymbol(80_000, 'P'),
          optionSymbol(90_000, 'C'),
          optionSymbol(90_000, 'P'),
        ].sort(),
      );
      expect(await symbolsOf({ kind: 'PERPETUAL', underlying: 'BTC-USD' })).toEqual(['BTC-PERP', 'BTC-USD-PERP']);
      expect(await symbolsOf({ status: 'EXPIRED' })).toEqual([]);
      expect(await symbolsOf({ status: 'ACTIVE' })).toHaveLength(9);
    });

    it('refuses bad filters, page sizes and cursors with typed codes', async () => {
      const underlying = errorOf(await graphql(memberKey, INSTRUMENTS, { first: 5, underlying: 'BTC USD' }));
      expect(underlying.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'underlying' });
      const tooMany = errorOf(await graphql(memberKey, INSTRUMENTS, { first: 101 }));
      expect(tooMany.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
      const statementCursor = Buffer.from('statement:12').toString('base64url');
      for (const after of ['bm9wZQ', statementCursor]) {
        const refused = errorOf(await graphql(memberKey, INSTRUMENTS, { first: 5, after }));
        expect(refused.extensions).toEqual({ code: 'INVALID_CURSOR', field: 'after' });
      }
      const kind = errorOf(await graphql(memberKey, INSTRUMENTS, { first: 5, kind: 'SWAP' }));
      expect(kind.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });

    it('answers an unknown or malformed id with NOT_FOUND naming the argument', async () => {
      for (const id of [randomUUID(), 'BTC-PERP']) {
        const refused = errorOf(await graphql(memberKey, INSTRUMENT, { id }));
        expect(refused.extensions).toEqual({ code: 'NOT_FOUND', field: 'id' });
        expect(refused.message).toBe(`no instrument ${id}`);
      }
    });

    it('needs an API key', async () => {
      const refused = errorOf(await graphql(undefined, INSTRUMENTS, { first: 5 }));
      expect(refused.extensions?.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('market data', () => {
    it('serves the latest mark, implied vol and index price', async () => {
      const option = instrumentIds.get(optionSymbol(100_000, 'C'));
      expect(await data(memberKey, MARKET_DATA, 'marketData', { instrumentId: option })).toEqual({
        instrumentId: option,
        mark: { price: '0.0415', impliedVolatility: 0.55, observedAt: observedAt(20_000).toISOString() },
        index: { underlying: 'BTC-USD', price: '100250.5', observedAt: observedAt(30_000).toISOString() },
      });
      const perp = instrumentIds.get('BTC-PERP');
      expect(await data(venueKey, MARKET_DATA, 'marketData', { instrumentId: perp })).toEqual({
        instrumentId: perp,
        mark: { price: '101000.25', impliedVolatility: null, observedAt: observedAt(20_000).toISOString() },
        index: { underlying: 'BTC-USD', price: '100250.5', observedAt: observedAt(30_000).toISOString() },
      });
      // Nothing published yet for the future: no mark; its index is still known.
      const future = [...instrumentIds.entries()].find(([symbol]) => /^BTC-\d{2}[A-Z]{3}\d{2}$/.test(symbol))?.[1];
      expect(await data(memberKey, MARKET_DATA, 'marketData', { instrumentId: future })).toMatchObject({
        mark: null,
        index: { price: '100250.5' },
      });
    });

    it('answers an unknown instrument with NOT_FOUND', async () => {
      const refused = errorOf(await graphql(memberKey, MARKET_DATA, { instrumentId: randomUUID() }));
      expect(refused.extensions).toEqual({ code: 'NOT_FOUND', field: 'instrumentId' });
    });

    it('costs the same bounded number of queries for a page of 1 or 9 instruments (DataLoader)', async () => {
      const query = `query($first: Int!) { instruments(first: $first) { edges { node { symbol marketData { ${MARKET_DATA_FIELDS} } } } } }`;
      const logger = dataSource.logger;
      const logQuery = logger.logQuery.bind(logger);
      let queries = 0;
      logger.logQuery = (...args) => {
        queries += 1;
        logQuery(...args);
      };
      try {
        await graphql(memberKey, query, { first: 1 }); // warm: key lookup cache, JIT
        queries = 0;
        const one = await graphql(memberKey, query, { first: 1 });
        const queriesForOne = queries;
        queries = 0;
        const many = await graphql(memberKey, query, { first: 100 });
        const queriesForMany = queries;
        expect(one.body.errors).toBeUndefined();
        const nodes = (many.body.data?.['instruments'] as Connection<{ symbol: string; marketData: unknown }>).edges;
        expect(nodes).toHaveLength(9);
        expect(nodes.find((edge) => edge.node.symbol === 'BTC-PERP')?.node.marketData).toMatchObject({
          mark: { price: '101000.25' },
        });
        // key lookup + instruments + latest marks + latest index prices, whatever the page size.
        expect(queriesForMany).toBe(queriesForOne);
        expect(queriesForMany).toBeLessThanOrEqual(4);
      } finally {
        logger.logQuery = logQuery;
      }
    });
  });

  describe('risk parameters', () => {
    it('serves the active set only, never a draft, proposal, rejected or future set', async () => {
      const demo = await dataSource.manager.findOneByOrFail(RiskParameterSetEntity, {
        version: DEMO_PARAMETER_SET_VERSION,
      });
      const set = await data<Record<string, unknown>>(memberKey, RISK_PARAMETERS, 'riskParameters');
      expect(set).toMatchObject({
        id: demo.id,
        version: DEMO_PARAMETER_SET_VERSION,
        effectiveFrom: seededAt.toISOString(),
        models: { cross: 'standard', isolated: 'standard', portfolio: 'portfolio-scenario' },
        assets: [
          { asset: 'BTC', scale: 8, initialHaircut: '0.1', maintenanceHaircut: '0.05', usdIndex: 'BTC-USD' },
          { asset: 'ETH', scale: 8, initialHaircut: '0.15', maintenanceHaircut: '0.075', usdIndex: 'ETH-USD' },
          { asset: 'USDC', scale: 6, initialHaircut: '0', maintenanceHaircut: '0', usdIndex: null },
        ],
        usdAssets: ['USDC'],
        riskFreeRate: 0,
        marginCallDeadlineMs: 24 * HOUR_MS,
      });
      const body = demo.body as { parameters: { standard: unknown; portfolioScenario: unknown } };
      expect(set['modelParameters']).toEqual({
        standard: body.parameters.standard,
        portfolioScenario: body.parameters.portfolioScenario,
      });
      expect(set['liquidation']).toEqual({
        penaltyFraction: expect.stringMatching(/^0(\.\d+)?$/),
        maxSliceFraction: expect.stringMatching(/^[01](\.\d+)?$/),
        coolDownMs: expect.any(Number),
        deficitMode: expect.stringMatching(/^(auto-deleveraging|default-waterfall)$/),
      });
      for (const key of [venueKey, custodyKey, adminKey]) {
        expect(await data(key, RISK_PARAMETERS, 'riskParameters')).toEqual(set);
      }
    });

    it('needs an API key', async () => {
      expect(errorOf(await graphql(undefined, RISK_PARAMETERS)).extensions?.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('error codes', () => {
    it('lists every code of the ErrorCode enum, without a key', async () => {
      expect(await data(undefined, '{ errorCodes }', 'errorCodes')).toEqual([...API_ERROR_CODES]);
      expect(API_ERROR_CODES).toEqual(
        expect.arrayContaining(['NOT_FOUND', 'BAD_USER_INPUT', 'INVALID_CURSOR', 'RATE_LIMITED', 'QUERY_TOO_COSTLY']),
      );
    });
  });
});
