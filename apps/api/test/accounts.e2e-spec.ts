import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  AccountEntity,
  InstrumentEntity,
  MemberFirmEntity,
  VenueEntity,
  marginAccount,
  seedDemoMarket,
} from '@novation/persistence';
import { Decimal } from '@novation/money';
import { replayMarginReceipt } from '@novation/risk';
import { createTestDatabase, testConfig, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { AccountsService } from '../src/accounts/accounts.service.js';
import { createApiApp } from '../src/api.app.js';
import { ReadModelService } from '../src/common/read-model/read-model.service.js';
import { ApiKeyService } from '../src/auth/api-key.service.js';

const HOUR_MS = 3_600_000;
/** Accounts added to ALPHA beyond the two seeded ones, so a page of accounts is worth batching. */
const EXTRA_ALPHA_ACCOUNTS = 10;

interface GraphqlError {
  message: string;
  path?: string[];
  extensions?: { code?: string; field?: string };
}

interface GraphqlResponse {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: GraphqlError[] };
}

const ACCOUNT_FIELDS = `
  id code kind settlementAsset marginState
  balances { asset amount }
  positions(first: 10) { edges { cursor node { instrumentId symbol quantity averageEntryPrice realisedPnl markPrice } } pageInfo { hasNextPage endCursor } }
  margin { receiptId inputsHash computedAt status equity equityForInitialMargin initialMargin maintenanceMargin marginRatio
           groups { settlementAsset initialMargin components { name initialMargin maintenanceMargin } }
           positions { instrumentId quantity equityContribution initialMargin } }
`;

describe('member accounts over GraphQL', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let baseUrl: string;
  let alphaKey: string;
  let bravoKey: string;
  let alphaMainId: string;
  let alphaOptionsId: string;
  let bravoMainId: string;
  let alphaReceiptId: string;
  let bravoReceiptId: string;
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
    alphaOptionsId = (
      await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId: alpha.id, code: 'options' })
    ).id;
    bravoMainId = (await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId: bravo.id, code: 'main' }))
      .id;
    for (let index = 0; index < EXTRA_ALPHA_ACCOUNTS; index += 1) {
      await dataSource.manager.insert(AccountEntity, {
        memberFirmId: alpha.id,
        code: `extra-${index}`,
        kind: 'cross',
        houseRole: null,
        settlementAsset: 'USDC',
        isolatedInstrumentId: null,
      });
    }
    await dataSource.query(
      `INSERT INTO index_price (underlying, price, observed_at, source) VALUES ('BTC-USD', 100000, $1, 'test'), ('ETH-USD', 4000, $1, 'test')`,
      [new Date(now - 60_000)],
    );
    await markPrice('BTC-PERP', '101000', now - 60_000);
    await markPrice('ETH-PERP', '4000', now - 60_000);
    const venue = await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' });
    await openPositions(venue.id, alphaMainId, bravoMainId, 'BTC-PERP', '2', '100000', now);
    await openPositions(venue.id, alphaMainId, bravoMainId, 'ETH-PERP', '10', '4000', now);
    alphaReceiptId = (await marginAccount(dataSource, alphaMainId, now)).receiptId;
    bravoReceiptId = (await marginAccount(dataSource, bravoMainId, now)).receiptId;
    const apiKeys = app.get(ApiKeyService);
    alphaKey = (await apiKeys.issue({ role: 'member', memberFirmId: alpha.id, label: 'alpha desk' })).key;
    bravoKey = (await apiKeys.issue({ role: 'member', memberFirmId: bravo.id, label: 'bravo desk' })).key;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  async function markPrice(symbol: string, price: string, atMs: number): Promise<void> {
    await dataSource.query(
      `INSERT INTO mark_price (instrument_id, price, observed_at, source) VALUES ($1, $2, $3, 'test')`,
      [instrumentIds.get(symbol), price, new Date(atMs)],
    );
  }

  let tradeCount = 0;
  async function openPositions(
    venueId: string,
    buyer: string,
    seller: string,
    symbol: string,
    quantity: string,
    price: string,
    nowMs: number,
  ): Promise<void> {
    tradeCount += 1;
    const instrumentId = instrumentIds.get(symbol);
    const [trade] = await dataSource.query(
      `INSERT INTO trade (venue_id, venue_trade_id, instrument_id, buyer_account_id, seller_account_id, quantity, price,
                          buyer_fee, seller_fee, executed_at, payload_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, $8, repeat('0', 64)) RETURNING id`,
      [venueId, `api-test-${tradeCount}`, instrumentId, buyer, seller, quantity, price, new Date(nowMs - HOUR_MS / 2)],
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
    // No response of this API carries a stack trace or a source location of the server.
    expect(text).not.toMatch(/"stack"|\bat .+\.(?:js|ts|mjs):\d+/);
    return { status: response.status, body: JSON.parse(text) as GraphqlResponse['body'] };
  }

  interface ConnectionJson<Node> {
    edges: { cursor: string; node: Node }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  }

  /** The connection `field` of `account` in a response. */
  const nested = <Node>(response: GraphqlResponse, field: string): ConnectionJson<Node> =>
    (response.body.data?.['account'] as Record<string, ConnectionJson<Node>>)[field] as ConnectionJson<Node>;

  const codesOf = (response: GraphqlResponse) => response.body.errors?.map((error) => error.extensions?.code);

  it('lists the caller firm accounts a page at a time with opaque cursors', async () => {
    const query = `query($first: Int!, $after: String) { accounts(first: $first, after: $after) {
      edges { cursor node { id code } } pageInfo { hasNextPage endCursor } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const { body } = await graphql(alphaKey, query, { first: 5, after });
      const connection = body.data?.['accounts'] as {
        edges: { cursor: string; node: { id: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
      seen.push(...connection.edges.map((edge) => edge.node.id));
      for (const edge of connection.edges) expect(edge.cursor).not.toContain(edge.node.id);
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(2 + EXTRA_ALPHA_ACCOUNTS);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(expect.arrayContaining([alphaMainId, alphaOptionsId]));
    expect(seen).not.toContain(bravoMainId);
  });

  it('refuses a bad cursor and an oversized page with typed errors naming the argument', async () => {
    const bad = await graphql(alphaKey, '{ accounts(first: 5, after: "bm9wZQ") { edges { cursor } } }');
    expect(bad.body.errors?.[0]?.extensions).toEqual({ code: 'INVALID_CURSOR', field: 'after' });
    // A cursor of another list (positions) is not an accounts cursor.
    const positionCursor = Buffer.from(`position:${randomUUID()}`).toString('base64url');
    const foreign = await graphql(alphaKey, `{ accounts(after: "${positionCursor}") { edges { cursor } } }`);
    expect(codesOf(foreign)).toEqual(['INVALID_CURSOR']);
    const tooMany = await graphql(alphaKey, '{ accounts(first: 101) { edges { cursor } } }');
    expect(tooMany.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
    const none = await graphql(alphaKey, '{ accounts(first: 0) { edges { cursor } } }');
    expect(codesOf(none)).toEqual(['BAD_USER_INPUT']);
  });

  it('returns an account with balances, positions (with marks) and its latest margin', async () => {
    const { body } = await graphql(alphaKey, `query($id: ID!) { account(id: $id) { ${ACCOUNT_FIELDS} } }`, {
      id: alphaMainId,
    });
    expect(body.errors).toBeUndefined();
    const account = body.data?.['account'] as Record<string, unknown>;
    expect(account).toMatchObject({ id: alphaMainId, code: 'main', kind: 'CROSS', settlementAsset: 'USDC' });
    expect(account['balances']).toEqual([
      { asset: 'BTC', amount: '10' },
      { asset: 'USDC', amount: '2500000' },
    ]);
    const positions = account['positions'] as { edges: { node: Record<string, unknown> }[] };
    expect(
      positions.edges.map((edge) => edge.node).sort((a, b) => String(a['symbol']).localeCompare(String(b['symbol']))),
    ).toEqual([
      {
        instrumentId: instrumentIds.get('BTC-PERP'),
        symbol: 'BTC-PERP',
        quantity: '2',
        averageEntryPrice: '100000',
        realisedPnl: '0',
        markPrice: '101000',
      },
      {
        instrumentId: instrumentIds.get('ETH-PERP'),
        symbol: 'ETH-PERP',
        quantity: '10',
        averageEntryPrice: '4000',
        realisedPnl: '0',
        markPrice: '4000',
      },
    ]);
    const margin = account['margin'] as Record<string, unknown>;
    expect(margin).toMatchObject({ receiptId: alphaReceiptId, status: 'HEALTHY' });
    expect(typeof margin['equity']).toBe('string');
    expect(margin['computedAt']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect((margin['groups'] as unknown[]).length).toBeGreaterThan(0);
    expect((margin['positions'] as unknown[]).length).toBe(2);
    // An account never margined has no margin yet.
    const options = await graphql(alphaKey, `{ account(id: "${alphaOptionsId}") { margin { receiptId } } }`);
    expect(options.body.data).toEqual({ account: { margin: null } });
  });

  it('pages nested positions with their own cursors', async () => {
    const query = `query($id: ID!, $after: String) { account(id: $id) { positions(first: 1, after: $after) {
      edges { cursor node { symbol } } pageInfo { hasNextPage endCursor } } } }`;
    const first = await graphql(alphaKey, query, { id: alphaMainId, after: null });
    const firstPage = nested<{ symbol: string }>(first, 'positions');
    expect(firstPage.edges).toHaveLength(1);
    expect(firstPage.pageInfo.hasNextPage).toBe(true);
    const second = await graphql(alphaKey, query, { id: alphaMainId, after: firstPage.pageInfo.endCursor });
    const secondPage = nested<{ symbol: string }>(second, 'positions');
    expect(secondPage.edges).toHaveLength(1);
    expect(secondPage.pageInfo).toEqual({ hasNextPage: false, endCursor: secondPage.edges[0]?.cursor });
    expect(new Set([firstPage.edges[0]?.node.symbol, secondPage.edges[0]?.node.symbol])).toEqual(
      new Set(['BTC-PERP', 'ETH-PERP']),
    );
    const bad = await graphql(alphaKey, query, { id: alphaMainId, after: 'garbage' });
    expect(bad.body.errors?.[0]?.extensions).toEqual({ code: 'INVALID_CURSOR', field: 'after' });
  });

  it('downloads a stored receipt that replays to a match', async () => {
    const { body } = await graphql(
      alphaKey,
      `
        query ($id: ID!, $receipt: ID!) {
          account(id: $id) {
            marginReceipt(id: $receipt) {
              id
              inputsHash
              document
            }
          }
        }
      `,
      { id: alphaMainId, receipt: alphaReceiptId },
    );
    const receipt = (body.data?.['account'] as { marginReceipt: { id: string; inputsHash: string; document: string } })
      .marginReceipt;
    expect(receipt.id).toBe(alphaReceiptId);
    const document = JSON.parse(receipt.document) as { inputsHash: string };
    expect(document.inputsHash).toBe(receipt.inputsHash);
    expect(replayMarginReceipt(document)).toEqual({ match: true });
  });

  describe('tenancy: another firm id looks exactly like a missing one', () => {
    it('account(id) is null for another firm account, a random uuid and a malformed id', async () => {
      const query = `query($id: ID!) { account(id: $id) { id code } }`;
      const foreign = await graphql(bravoKey, query, { id: alphaMainId });
      const missing = await graphql(bravoKey, query, { id: randomUUID() });
      const malformed = await graphql(bravoKey, query, { id: 'not-an-id' });
      expect(foreign).toEqual({ status: 200, body: { data: { account: null } } });
      expect(missing).toEqual(foreign);
      expect(malformed).toEqual(foreign);
    });

    it('nested fields of another firm account are unreachable: the whole account is null', async () => {
      const query = `query($id: ID!, $receipt: ID!) { account(id: $id) { ${ACCOUNT_FIELDS}
        marginReceipt(id: $receipt) { document } marginCalls { edges { cursor } } } }`;
      const foreign = await graphql(bravoKey, query, { id: alphaMainId, receipt: alphaReceiptId });
      const missing = await graphql(bravoKey, query, { id: randomUUID(), receipt: alphaReceiptId });
      expect(foreign).toEqual({ status: 200, body: { data: { account: null } } });
      expect(missing).toEqual(foreign);
    });

    it('marginReceipt(id) of another account is null, like an unknown receipt id', async () => {
      const query = `query($id: ID!, $receipt: ID!) { account(id: $id) { marginReceipt(id: $receipt) { id } } }`;
      const own = await graphql(bravoKey, query, { id: bravoMainId, receipt: bravoReceiptId });
      expect(own.body.data).toEqual({ account: { marginReceipt: { id: bravoReceiptId } } });
      const foreign = await graphql(bravoKey, query, { id: bravoMainId, receipt: alphaReceiptId });
      const missing = await graphql(bravoKey, query, { id: bravoMainId, receipt: '999999999' });
      const malformed = await graphql(bravoKey, query, { id: bravoMainId, receipt: 'x' });
      expect(foreign).toEqual({ status: 200, body: { data: { account: { marginReceipt: null } } } });
      expect(missing).toEqual(foreign);
      expect(malformed).toEqual(foreign);
      // And ALPHA's key cannot fetch BRAVO's receipt through its own account either.
      const reverse = await graphql(alphaKey, query, { id: alphaMainId, receipt: bravoReceiptId });
      expect(reverse.body.data).toEqual({ account: { marginReceipt: null } });
    });

    it('accounts lists only the caller firm', async () => {
      const { body } = await graphql(bravoKey, '{ accounts(first: 100) { edges { node { id } } } }');
      const ids = (body.data?.['accounts'] as { edges: { node: { id: string } }[] }).edges.map((edge) => edge.node.id);
      expect(ids).toContain(bravoMainId);
      expect(ids).not.toContain(alphaMainId);
      expect(ids).not.toContain(alphaOptionsId);
    });
  });

  it('pages margin calls newest first', async () => {
    for (let index = 0; index < 3; index += 1) {
      await dataSource.query(
        `INSERT INTO margin_call (account_id, receipt_id, shortfall, asset, deadline_at, status, created_at, resolved_at)
         VALUES ($1, $2, $3, 'USDC', now() + interval '1 hour', 'met', $4, now())`,
        [alphaMainId, alphaReceiptId, `${index + 1}.5`, new Date(Date.now() - (3 - index) * 60_000)],
      );
    }
    const query = `query($id: ID!, $after: String) { account(id: $id) { marginCalls(first: 2, after: $after) {
      edges { cursor node { shortfall status asset receiptId } } pageInfo { hasNextPage endCursor } } } }`;
    const first = await graphql(alphaKey, query, { id: alphaMainId, after: null });
    const firstPage = nested<{ shortfall: string }>(first, 'marginCalls');
    expect(firstPage.edges.map((edge) => edge.node.shortfall)).toEqual(['3.5', '2.5']);
    expect(firstPage.edges[0]?.node).toMatchObject({ status: 'MET', asset: 'USDC', receiptId: alphaReceiptId });
    const second = await graphql(alphaKey, query, { id: alphaMainId, after: firstPage.pageInfo.endCursor });
    const secondPage = nested<{ shortfall: string }>(second, 'marginCalls');
    expect(secondPage.edges.map((edge) => edge.node.shortfall)).toEqual(['1.5']);
    expect(secondPage.pageInfo.hasNextPage).toBe(false);
  });

  it('costs a bounded number of queries for a page of accounts with nested fields (DataLoader)', async () => {
    const query = `query($first: Int!) { accounts(first: $first) { edges { node { ${ACCOUNT_FIELDS} } } } }`;
    const logger = dataSource.logger;
    const logQuery = logger.logQuery.bind(logger);
    let queries = 0;
    logger.logQuery = (...args) => {
      queries += 1;
      logQuery(...args);
    };
    try {
      await graphql(alphaKey, query, { first: 1 }); // warm: key lookup cache of last_used_at, JIT
      const readModel = app.get(ReadModelService);
      const cold = () => {
        readModel.accounts.invalidateAll();
        readModel.marks.invalidateAll();
        queries = 0;
      };
      cold();
      const one = await graphql(alphaKey, query, { first: 1 });
      const queriesForOne = queries;
      cold();
      const many = await graphql(alphaKey, query, { first: 100 });
      const queriesForMany = queries;
      expect(one.body.errors).toBeUndefined();
      expect(many.body.errors).toBeUndefined();
      expect((many.body.data?.['accounts'] as { edges: unknown[] }).edges).toHaveLength(2 + EXTRA_ALPHA_ACCOUNTS);
      // Cold caches: key lookup + accounts + balances + latest receipts + positions + marks, whatever the
      // page size (marks are read only when the page holds positions; the first account may hold none).
      expect(queriesForMany).toBeLessThanOrEqual(queriesForOne + 1);
      expect(queriesForOne).toBeGreaterThanOrEqual(4);
      expect(queriesForMany).toBeLessThanOrEqual(6);
      // Warm: the read model serves the nested fields; only the key and the account list are read.
      queries = 0;
      const again = await graphql(alphaKey, query, { first: 100 });
      expect(again.body).toEqual(many.body);
      expect(queries).toBe(2);
    } finally {
      logger.logQuery = logQuery;
    }
  });

  it('turns an unexpected failure into INTERNAL with no detail', async () => {
    const service = app.get(AccountsService);
    service.marginCalls = () => Promise.reject(new Error('password authentication failed for user hunter2'));
    try {
      const { status, body } = await graphql(
        alphaKey,
        `{ account(id: "${alphaMainId}") { code marginCalls { edges { cursor } } } }`,
      );
      expect(status).toBe(200);
      expect(body.errors).toEqual([
        {
          message: 'Internal error',
          locations: expect.any(Array),
          path: ['account', 'marginCalls'],
          extensions: { code: 'INTERNAL' },
        },
      ]);
      expect(JSON.stringify(body)).not.toMatch(/hunter2|password/);
    } finally {
      delete (service as Partial<AccountsService>).marginCalls;
    }
  });

  it('refuses account queries without a key, and with a non-member key', async () => {
    const anonymous = await graphql(
      undefined,
      `
        {
          accounts {
            edges {
              cursor
            }
          }
        }
      `,
    );
    expect(codesOf(anonymous)).toEqual(['UNAUTHENTICATED']);
    const custody = await app.get(ApiKeyService).issue({ role: 'custody', label: 'custody bot' });
    const forbidden = await graphql(custody.key, `{ account(id: "${alphaMainId}") { id } }`);
    expect(codesOf(forbidden)).toEqual(['FORBIDDEN']);
    expect(forbidden.body.data).toEqual({ account: null });
  });

  describe('the read model (notification-kept caches)', () => {
    const VIEW = `query($id: ID!) { account(id: $id) { marginState balances { asset amount }
      positions(first: 10) { edges { node { symbol markPrice } } } margin { receiptId equity } } }`;

    type View = {
      marginState: string;
      balances: { asset: string; amount: string }[];
      positions: { edges: { node: { symbol: string; markPrice: string | null } }[] };
      margin: { receiptId: string; equity: string } | null;
    };

    async function view(): Promise<View> {
      const response = await graphql(alphaKey, VIEW, { id: alphaMainId });
      expect(response.body.errors).toBeUndefined();
      return response.body.data?.['account'] as View;
    }

    /** Changes committed outside this API instance arrive by notification, milliseconds later: poll. */
    async function eventually(check: (current: View) => boolean): Promise<View> {
      let current = await view();
      for (let attempt = 0; attempt < 100 && !check(current); attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        current = await view();
      }
      return current;
    }

    it('serves a new mark and a new receipt written by another process (the worker) after their commit', async () => {
      const before = await view();
      const ethMark = (current: View) =>
        current.positions.edges.find((edge) => edge.node.symbol === 'ETH-PERP')?.node.markPrice;
      expect(ethMark(before)).toBe('4000');
      const now = Date.now();
      await markPrice('ETH-PERP', '4100', now);
      const afterMark = await eventually((current) => ethMark(current) === '4100');
      expect(ethMark(afterMark)).toBe('4100');
      const receipt = await marginAccount(dataSource, alphaMainId, now);
      const afterReceipt = await eventually((current) => current.margin?.receiptId === receipt.receiptId);
      expect(afterReceipt.margin?.receiptId).toBe(receipt.receiptId);
      const [stored] = (await dataSource.query(`SELECT result->>'equity' AS equity FROM margin_receipt WHERE id = $1`, [
        receipt.receiptId,
      ])) as { equity: string }[];
      expect(afterReceipt.margin?.equity).toBe(stored?.equity);
    });

    it("reads the caller's own writes at once: a withdrawal shows in the very next query", async () => {
      const before = await view();
      const usdc = (current: View) => current.balances.find((balance) => balance.asset === 'USDC')?.amount;
      const withdrawn = await graphql(
        alphaKey,
        `
          mutation ($input: RequestWithdrawalInput!) {
            requestWithdrawal(input: $input) {
              amount
            }
          }
        `,
        {
          input: { accountId: alphaMainId, asset: 'USDC', amount: '1.25', idempotencyKey: `read-model-${Date.now()}` },
        },
      );
      expect(withdrawn.body.errors).toBeUndefined();
      const after = await view();
      expect(after.balances).not.toEqual(before.balances);
      expect(usdc(after)).toBe(new Decimal(usdc(before) ?? '0').minus('1.25').toString());
    });

    it('drops a cached API key on every instance as soon as its revocation commits, long before the TTL', async () => {
      const cachingApi = await createApiApp(testConfig({ DATABASE_URL: database.url }), {
        authenticationCacheTtlMs: 600_000,
      });
      try {
        await cachingApi.listen(0, '127.0.0.1');
        const url = `${await cachingApi.getUrl()}/graphql`;
        const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' });
        const issued = await app
          .get(ApiKeyService)
          .issue({ role: 'member', memberFirmId: alpha.id, label: 'revoked soon' });
        const me = async () => {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${issued.key}` },
            body: JSON.stringify({ query: `{ account(id: "${alphaMainId}") { code } }` }),
          });
          return (await response.json()) as GraphqlResponse['body'];
        };
        expect((await me()).data).toEqual({ account: { code: 'main' } });
        expect((await me()).data).toEqual({ account: { code: 'main' } }); // now served from the key cache
        // Revoked through the other instance: only the notification can tell the caching one.
        await app.get(ApiKeyService).revoke(issued.id);
        let refused = false;
        for (let attempt = 0; attempt < 100 && !refused; attempt += 1) {
          refused = (await me()).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED';
          if (!refused) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(refused).toBe(true);
      } finally {
        await cachingApi.close();
      }
    });

    it('serves nothing from memory while the notification connection is down', async () => {
      const readModel = app.get(ReadModelService);
      await view();
      readModel.accounts.enabled = false;
      readModel.marks.enabled = false;
      try {
        // Written directly, and with the caches off no notification is needed to see it.
        await markPrice('BTC-PERP', '101500', Date.now());
        const current = await view();
        expect(current.positions.edges.find((edge) => edge.node.symbol === 'BTC-PERP')?.node.markPrice).toBe('101500');
        expect(readModel.accounts.size).toBe(0);
      } finally {
        readModel.accounts.enabled = true;
        readModel.marks.enabled = true;
      }
    });
  });
});
