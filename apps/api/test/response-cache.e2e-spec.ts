import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  AccountEntity,
  InstrumentEntity,
  MemberFirmEntity,
  VenueEntity,
  marginAccount,
  recordDeposit,
  seedDemoMarket,
} from '@novation/persistence';
import { createTestDatabase, deleteQueueKeys, testConfig, type TestDatabase } from '@novation/testing';
import type { NovationConfig } from '@novation/config';
import { jest } from '@jest/globals';
import { Decimal } from '@novation/money';
import { isObjectType, parse } from 'graphql';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { DataSource } from 'typeorm';
import { createApiApp } from '../src/api.app.js';
import { ApiKeyService } from '../src/auth/api-key.service.js';
import { ReadModelService } from '../src/common/read-model/read-model.service.js';
import {
  RESPONSE_CACHEABLE_FIELDS,
  hasOwnResolver,
  isCacheableDocument,
} from '../src/common/read-model/response-cache.js';

const HOUR_MS = 3_600_000;
/** Low enough to trip within a test: every cache hit must still count against it. */
const KEY_RATE_LIMIT = { operationsPerSecond: 1, burst: 400 };

const ACCOUNT_MARGIN = `query AccountMargin($id: ID!) { account(id: $id) {
  id code marginState balances { asset amount }
  positions(first: 10) { edges { node { instrumentId symbol quantity markPrice } } }
  margin { receiptId status equity initialMargin maintenanceMargin positions { instrumentId initialMargin } } } }`;

interface GraphqlResponse {
  readonly status: number;
  readonly text: string;
  readonly body: {
    data?: { account?: AccountView | null } | null;
    errors?: { extensions?: { code?: string } }[];
  };
}

interface AccountView {
  code: string;
  balances: { asset: string; amount: string }[];
  positions: { edges: { node: { symbol: string; markPrice: string | null } }[] };
  margin: { receiptId: string } | null;
}

describe('whole-response cache of read-model-backed queries', () => {
  let database: TestDatabase;
  let config: NovationConfig;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let readModel: ReadModelService;
  let url: string;
  let alphaKey: string;
  let bravoKey: string;
  let alphaMainId: string;
  const instrumentIds = new Map<string, string>();

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({ DATABASE_URL: database.url });
    app = await createApiApp(config, { authenticationCacheTtlMs: 60_000, keyRateLimit: KEY_RATE_LIMIT });
    await app.listen(0, '127.0.0.1');
    url = `${await app.getUrl()}/graphql`;
    dataSource = app.get(DataSource);
    readModel = app.get(ReadModelService);
    const now = Date.now();
    await seedDemoMarket(dataSource, new Date(now - HOUR_MS));
    for (const instrument of await dataSource.manager.find(InstrumentEntity)) {
      instrumentIds.set(instrument.symbol, instrument.id);
    }
    const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' });
    const bravo = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'BRAVO' });
    alphaMainId = (await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId: alpha.id, code: 'main' }))
      .id;
    const bravoMainId = (
      await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId: bravo.id, code: 'main' })
    ).id;
    await dataSource.query(
      `INSERT INTO index_price (underlying, price, observed_at, source) VALUES ('BTC-USD', 100000, $1, 'test')`,
      [new Date(now - 60_000)],
    );
    await markPrice('BTC-PERP', '101000', now - 60_000);
    const venue = await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' });
    const [trade] = (await dataSource.query(
      `INSERT INTO trade (venue_id, venue_trade_id, instrument_id, buyer_account_id, seller_account_id, quantity, price,
                          buyer_fee, seller_fee, executed_at, payload_hash)
       VALUES ($1, 'cache-1', $2, $3, $4, 2, 100000, 0, 0, $5, repeat('0', 64)) RETURNING id`,
      [venue.id, instrumentIds.get('BTC-PERP'), alphaMainId, bravoMainId, new Date(now - HOUR_MS / 2)],
    )) as { id: string }[];
    for (const [accountId, quantity] of [
      [alphaMainId, '2'],
      [bravoMainId, '-2'],
    ] as const) {
      await dataSource.query(
        `INSERT INTO position (account_id, instrument_id, quantity, average_entry_price, last_trade_id)
         VALUES ($1, $2, $3, 100000, $4)`,
        [accountId, instrumentIds.get('BTC-PERP'), quantity, trade?.id],
      );
    }
    await marginAccount(dataSource, alphaMainId, now);
    const apiKeys = app.get(ApiKeyService);
    alphaKey = (await apiKeys.issue({ role: 'member', memberFirmId: alpha.id, label: 'alpha cached' })).key;
    bravoKey = (await apiKeys.issue({ role: 'member', memberFirmId: bravo.id, label: 'bravo cached' })).key;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    if (config !== undefined) await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
  });

  async function markPrice(symbol: string, price: string, atMs: number): Promise<void> {
    await dataSource.query(
      `INSERT INTO mark_price (instrument_id, price, observed_at, source) VALUES ($1, $2, $3, 'test')`,
      [instrumentIds.get(symbol), price, new Date(atMs)],
    );
  }

  async function query(key: string, body: unknown): Promise<GraphqlResponse> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, body: JSON.parse(text) as GraphqlResponse['body'] };
  }

  const accountMargin = (key: string) => query(key, { query: ACCOUNT_MARGIN, variables: { id: alphaMainId } });

  /** Retries until `accept` holds: other writers' changes reach this instance by notification, not at once. */
  async function eventually(
    read: () => Promise<GraphqlResponse>,
    accept: (view: AccountView) => boolean,
  ): Promise<AccountView> {
    let last: AccountView | null | undefined;
    for (let attempt = 0; attempt < 100; attempt += 1) {
      last = (await read()).body.data?.account;
      if (last !== undefined && last !== null && accept(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`never accepted: ${JSON.stringify(last)}`);
  }

  it('knows every resolver-backed field of the schema: a new one must be classified here', () => {
    const schema = app.get(GraphQLSchemaHost).schema;
    const resolved = Object.values(schema.getTypeMap())
      .filter(isObjectType)
      .filter((type) => !type.name.startsWith('__') && !['Query', 'Mutation', 'Subscription'].includes(type.name))
      .flatMap((type) =>
        Object.values(type.getFields())
          .filter(hasOwnResolver)
          .map((field) => `${type.name}.${field.name}`),
      )
      .sort();
    // Account.balances, positions and margin read the read model only (cacheable); the rest read the
    // database directly (not cacheable). If this list changes, decide where the new field belongs.
    expect(resolved).toEqual([
      'Account.balances',
      'Account.margin',
      'Account.marginCalls',
      'Account.marginReceipt',
      'Account.positions',
      'Account.statement',
      'Instrument.marketData',
    ]);
    expect(hasOwnResolver(schema.getQueryType()?.getFields()['account'] as never)).toBe(true);
    for (const field of RESPONSE_CACHEABLE_FIELDS) expect(resolved.concat('Query.account')).toContain(field);
  });

  it('decides cacheability from the document: read-model fields only, one query operation', () => {
    const schema = app.get(GraphQLSchemaHost).schema;
    expect(isCacheableDocument(schema, parse(ACCOUNT_MARGIN))).toBe(true);
    expect(isCacheableDocument(schema, parse('{ account(id: "x") { __typename id } }'))).toBe(true);
    // Read from the database or time-dependent: statements, margin calls, receipts, pages of accounts.
    expect(isCacheableDocument(schema, parse('{ account(id: "x") { marginCalls { edges { cursor } } } }'))).toBe(false);
    expect(isCacheableDocument(schema, parse('{ accounts { edges { cursor } } }'))).toBe(false);
    expect(isCacheableDocument(schema, parse('{ version { service } }'))).toBe(false);
    expect(isCacheableDocument(schema, parse('{ __schema { queryType { name } } }'))).toBe(false);
    // The same through a fragment.
    expect(
      isCacheableDocument(
        schema,
        parse('query { account(id: "x") { ...F } } fragment F on Account { statement { edges { cursor } } }'),
      ),
    ).toBe(false);
    expect(
      isCacheableDocument(schema, parse('query A { account(id: "x") { id } } query B { account(id: "y") { id } }')),
    ).toBe(false);
  });

  it('serves a repeated query from the cache, byte for byte, with no database read', async () => {
    const first = await accountMargin(alphaKey);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data?.account?.positions.edges[0]?.node.markPrice).toBe('101000');
    expect(readModel.responses.size).toBe(1);
    const reads = jest.spyOn(dataSource, 'query');
    try {
      const second = await accountMargin(alphaKey);
      expect(second.text).toBe(first.text);
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }
  });

  it('never serves one key what another key (or another firm) was answered', async () => {
    await accountMargin(alphaKey);
    const bravo = await accountMargin(bravoKey);
    expect(bravo.body.errors).toBeUndefined();
    expect(bravo.body.data).toEqual({ account: null });
  });

  it('drops a response when a mark it shows changes', async () => {
    await accountMargin(alphaKey);
    await markPrice('BTC-PERP', '99000', Date.now() - 1_000);
    const view = await eventually(
      () => accountMargin(alphaKey),
      (account) => account.positions.edges[0]?.node.markPrice === '99000',
    );
    expect(view.code).toBe('main');
  });

  it('drops a response when the account changes (a deposit, a new margin run)', async () => {
    const before = (await accountMargin(alphaKey)).body.data?.account as AccountView;
    const usdcBefore = new Decimal(before.balances.find((balance) => balance.asset === 'USDC')?.amount ?? '0');
    await recordDeposit(dataSource, {
      accountId: alphaMainId,
      asset: 'USDC',
      amount: '5000',
      idempotencyKey: 'response-cache-deposit',
    });
    await eventually(
      () => accountMargin(alphaKey),
      (account) =>
        account.balances.some(
          (balance) => balance.asset === 'USDC' && balance.amount === usdcBefore.plus(5000).toFixed(),
        ),
    );
    const receipt = await marginAccount(dataSource, alphaMainId, Date.now());
    const after = await eventually(
      () => accountMargin(alphaKey),
      (account) => account.margin?.receiptId === receipt.receiptId,
    );
    expect(after.margin?.receiptId).not.toBe(before.margin?.receiptId);
  });

  it('stores nothing for an uncacheable query or a response with errors', async () => {
    readModel.responses.clear();
    await query(alphaKey, { query: `{ account(id: "${alphaMainId}") { marginCalls { edges { cursor } } } }` });
    await query(alphaKey, { query: `{ account(id: "${alphaMainId}") { positions(first: -1) { edges { cursor } } } }` });
    expect(readModel.responses.size).toBe(0);
  });

  it('refuses a revoked key even though its response is cached', async () => {
    const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' });
    const issued = await app.get(ApiKeyService).issue({ role: 'member', memberFirmId: alpha.id, label: 'revoked' });
    expect((await accountMargin(issued.key)).body.errors).toBeUndefined();
    await app.get(ApiKeyService).revoke(issued.id);
    let code: string | undefined;
    for (let attempt = 0; attempt < 100 && code !== 'UNAUTHENTICATED'; attempt += 1) {
      code = (await accountMargin(issued.key)).body.errors?.[0]?.extensions?.code;
      if (code !== 'UNAUTHENTICATED') await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(code).toBe('UNAUTHENTICATED');
  });

  it('counts every cache hit against the key rate limit', async () => {
    await accountMargin(alphaKey);
    const codes: (string | undefined)[] = [];
    for (let request = 0; request < KEY_RATE_LIMIT.burst + 5; request += 1) {
      codes.push((await accountMargin(alphaKey)).body.errors?.[0]?.extensions?.code);
    }
    expect(codes).toContain('RATE_LIMITED');
  });
});
