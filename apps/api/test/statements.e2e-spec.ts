import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AccountEntity, InstrumentEntity, MemberFirmEntity, VenueEntity, seedDemoMarket } from '@novation/persistence';
import { createTestDatabase, testConfig, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { createApiApp } from '../src/api.app.js';
import { ApiKeyService } from '../src/auth/api-key.service.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Empty accounts added to ALPHA, so a page of accounts with statements is worth batching. */
const EXTRA_ALPHA_ACCOUNTS = 5;
/** Fixed entry times of the alpha options account fixtures, so date boundaries can be tested exactly. */
const T1 = '2026-01-10T00:00:00.000Z';
const T2 = '2026-01-20T00:00:00.000Z';
const T3 = '2026-02-01T00:00:00.000Z';

interface GraphqlError {
  message: string;
  path?: string[];
  extensions?: { code?: string; field?: string };
}

interface GraphqlResponse {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: GraphqlError[] };
}

interface Line {
  postingId: string;
  journalEntryId: string;
  kind: string;
  description: string;
  idempotencyKey: string | null;
  asset: string;
  amount: string;
  balanceAfter: string;
  createdAt: string;
}

interface LineConnection {
  edges: { cursor: string; node: Line }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const LINE_FIELDS = 'postingId journalEntryId kind description idempotencyKey asset amount balanceAfter createdAt';
const STATEMENT = `query($accountId: ID!, $from: DateTime, $to: DateTime, $asset: String, $first: Int!, $after: String) {
  statement(accountId: $accountId, from: $from, to: $to, asset: $asset, first: $first, after: $after) {
    edges { cursor node { ${LINE_FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
const NESTED_STATEMENT = `query($id: ID!, $first: Int!, $asset: String) { account(id: $id) {
  statement(first: $first, asset: $asset) { edges { cursor node { ${LINE_FIELDS} } } pageInfo { hasNextPage endCursor } } } }`;

describe('account statements over GraphQL', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let baseUrl: string;
  let alphaKey: string;
  let bravoKey: string;
  let venueKey: string;
  let alphaMainId: string;
  let alphaOptionsId: string;
  let bravoMainId: string;
  let custodyId: string;
  let venueId: string;
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
    const accountOf = async (memberFirmId: string, code: string) =>
      (await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId, code })).id;
    alphaMainId = await accountOf(alpha.id, 'main');
    alphaOptionsId = await accountOf(alpha.id, 'options');
    bravoMainId = await accountOf(bravo.id, 'main');
    custodyId = (await dataSource.manager.findOneByOrFail(AccountEntity, { houseRole: 'custody' })).id;
    venueId = (await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' })).id;
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
    await dataSource.query(
      `INSERT INTO mark_price (instrument_id, price, observed_at, source) VALUES ($1, 100000, $2, 'test')`,
      [instrumentIds.get('BTC-PERP'), new Date(now - 60_000)],
    );
    const apiKeys = app.get(ApiKeyService);
    alphaKey = (await apiKeys.issue({ role: 'member', memberFirmId: alpha.id, label: 'alpha desk' })).key;
    bravoKey = (await apiKeys.issue({ role: 'member', memberFirmId: bravo.id, label: 'bravo desk' })).key;
    venueKey = (await apiKeys.issue({ role: 'venue', venueId, label: 'demo venue' })).key;
    const custodyKey = (await apiKeys.issue({ role: 'custody', label: 'custody bot' })).key;

    // Alpha main: a custody deposit, a transfer of its own to its options account, then a trade with fees.
    const deposit = await graphql(
      custodyKey,
      `
        mutation ($input: RecordDepositInput!) {
          recordDeposit(input: $input) {
            created
          }
        }
      `,
      { input: { accountId: alphaMainId, asset: 'USDC', amount: '1000.125', idempotencyKey: 'dep-1' } },
    );
    expect(deposit.body.errors).toBeUndefined();
    const transfer = await graphql(
      alphaKey,
      `
        mutation ($input: TransferCollateralInput!) {
          transferCollateral(input: $input) {
            created
          }
        }
      `,
      {
        input: {
          fromAccountId: alphaMainId,
          toAccountId: alphaOptionsId,
          asset: 'USDC',
          amount: '250',
          idempotencyKey: 'xfer-1',
        },
      },
    );
    expect(transfer.body.errors).toBeUndefined();
    const trade = await graphql(
      venueKey,
      `
        mutation ($input: SubmitTradesInput!) {
          submitTrades(input: $input) {
            novatedCount
          }
        }
      `,
      {
        input: {
          mode: 'ATOMIC',
          trades: [
            {
              venueTradeId: 'st-1',
              instrumentId: instrumentIds.get('BTC-PERP'),
              buyerAccountId: alphaMainId,
              sellerAccountId: bravoMainId,
              quantity: '1.5',
              price: '100000',
              buyerFee: '1.5',
              sellerFee: '0.25',
              executedAt: new Date(now - 1_000).toISOString(),
            },
          ],
        },
      },
    );
    expect(trade.body.data?.['submitTrades']).toEqual({ novatedCount: 1 });

    // Alpha options: BTC entries at fixed times (written directly: the API stamps entries with the clock).
    // The first names another firm's account, the custody house account, an instrument and alpha's own.
    await fixtureEntry(
      'fixture:1',
      `fixture of ${bravoMainId} to ${alphaOptionsId} via ${custodyId} on ${instrumentIds.get('BTC-PERP')}`,
      '1',
      T1,
    );
    await fixtureEntry('fixture:2', 'fixture two', '2', T2);
    await fixtureEntry('fixture:3', 'fixture three', '-0.5', T3);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  /** A BTC entry between alpha options and custody with a fixed created_at (both legs in one statement). */
  async function fixtureEntry(key: string, description: string, amount: string, createdAt: string): Promise<void> {
    await dataSource.transaction(async (manager) => {
      const [entry] = await manager.query(
        `INSERT INTO journal_entry (idempotency_key, payload_hash, kind, description, created_at)
         VALUES ($1, repeat('0', 64), 'adjustment', $2, $3) RETURNING id`,
        [key, description, createdAt],
      );
      await manager.query(
        `INSERT INTO posting (journal_entry_id, account_id, asset, amount)
         VALUES ($1, $2, 'BTC', $3::numeric), ($1, $4, 'BTC', -($3::numeric))`,
        [entry.id, alphaOptionsId, amount, custodyId],
      );
    });
  }

  async function graphql(
    key: string | undefined,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<GraphqlResponse> {
    // The statement queries declare `$first: Int!`: a page of 20 unless a test asks otherwise.
    if (query === STATEMENT || query === NESTED_STATEMENT) variables = { first: 20, ...variables };
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    expect(text).not.toMatch(/"stack"|\bat .+\.(?:js|ts|mjs):\d+/);
    return { status: response.status, body: JSON.parse(text) as GraphqlResponse['body'] };
  }

  async function statement(key: string, variables: Record<string, unknown>): Promise<LineConnection> {
    const { body } = await graphql(key, STATEMENT, variables);
    expect(body.errors).toBeUndefined();
    return body.data?.['statement'] as LineConnection;
  }

  const summary = (connection: LineConnection) =>
    connection.edges.map(({ node }) => ({
      kind: node.kind,
      asset: node.asset,
      amount: node.amount,
      balanceAfter: node.balanceAfter,
      idempotencyKey: node.idempotencyKey,
    }));

  const errorOf = (response: GraphqlResponse) => {
    expect(response.body.errors).toHaveLength(1);
    return response.body.errors?.[0] as GraphqlError;
  };

  it('lists the account postings newest first with exact amounts and running balances', async () => {
    const page = await statement(alphaKey, { accountId: alphaMainId });
    expect(summary(page)).toEqual([
      { kind: 'trade', asset: 'USDC', amount: '-1.5', balanceAfter: '2500748.625', idempotencyKey: null },
      {
        kind: 'collateral_transfer',
        asset: 'USDC',
        amount: '-250',
        balanceAfter: '2500750.125',
        idempotencyKey: 'xfer-1',
      },
      { kind: 'deposit', asset: 'USDC', amount: '1000.125', balanceAfter: '2501000.125', idempotencyKey: null },
      { kind: 'deposit', asset: 'BTC', amount: '10', balanceAfter: '10', idempotencyKey: null },
      { kind: 'deposit', asset: 'USDC', amount: '2500000', balanceAfter: '2500000', idempotencyKey: null },
    ]);
    expect(page.pageInfo).toEqual({ hasNextPage: false, endCursor: page.edges.at(-1)?.cursor });
    const [tradeLine, transferLine, depositLine] = page.edges.map((edge) => edge.node);
    expect(tradeLine?.description).toBe(`trade ${venueId}:st-1 1.5 ${instrumentIds.get('BTC-PERP')} @ 100000`);
    expect(transferLine?.description).toBe(`transfer of 250 USDC from ${alphaMainId} to ${alphaOptionsId}`);
    expect(depositLine?.description).toBe(`deposit of 1000.125 USDC to ${alphaMainId}`);
    // Posting ids strictly decrease; every line is an alpha main leg (the entry's other legs never show).
    const ids = page.edges.map((edge) => BigInt(edge.node.postingId));
    expect(ids).toEqual([...ids].sort((left, right) => (left > right ? -1 : 1)));
    const legs: { n: string }[] = await dataSource.query(
      `SELECT count(*)::text AS n FROM posting WHERE journal_entry_id = $1`,
      [tradeLine?.journalEntryId],
    );
    // The trade entry: alpha's fee and bravo's, each with its fee revenue leg; alpha sees its own one.
    expect(legs[0]?.n).toBe('4');
  });

  it("shows the counterparty's own legs of the same trade to the counterparty only", async () => {
    const page = await statement(bravoKey, { accountId: bravoMainId, first: 1 });
    expect(summary(page)).toEqual([
      { kind: 'trade', asset: 'USDC', amount: '-0.25', balanceAfter: '999999.75', idempotencyKey: null },
    ]);
    expect(page.pageInfo.hasNextPage).toBe(true);
  });

  it('filters by asset', async () => {
    const page = await statement(alphaKey, { accountId: alphaMainId, asset: 'BTC' });
    expect(summary(page)).toEqual([
      { kind: 'deposit', asset: 'BTC', amount: '10', balanceAfter: '10', idempotencyKey: null },
    ]);
    const none = await statement(alphaKey, { accountId: alphaMainId, asset: 'ETH' });
    expect(none).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('pages through with cursors, without gaps or repeats', async () => {
    const all = await statement(alphaKey, { accountId: alphaMainId });
    const seen: string[] = [];
    let after: string | null = null;
    const hasNext: boolean[] = [];
    for (let page = 0; page < 5; page += 1) {
      const connection = await statement(alphaKey, { accountId: alphaMainId, first: 2, after });
      seen.push(...connection.edges.map((edge) => edge.node.postingId));
      hasNext.push(connection.pageInfo.hasNextPage);
      for (const edge of connection.edges) expect(edge.cursor).toMatch(/^[A-Za-z0-9_-]{8,}$/);
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(hasNext).toEqual([true, true, false]);
    expect(seen).toEqual(all.edges.map((edge) => edge.node.postingId));
    // Balances on a later page are the same as on the one-page statement.
    const last = await statement(alphaKey, { accountId: alphaMainId, first: 2, after: all.edges[1]?.cursor });
    expect(summary(last)).toEqual(summary(all).slice(2, 4));
  });

  it('applies from inclusive and to exclusive on the entry time', async () => {
    const range = (from: string | null, to: string | null) =>
      statement(alphaKey, { accountId: alphaOptionsId, asset: 'BTC', from, to }).then((page) =>
        page.edges.map(({ node }) => [node.amount, node.balanceAfter, node.createdAt]),
      );
    const plusMs = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
    // Seed 25 BTC, then +1 (T1), +2 (T2), -0.5 (T3) in ledger order.
    expect(await range(T1, T3)).toEqual([
      ['2', '28', T2],
      ['1', '26', T1],
    ]);
    expect(await range(plusMs(T1, 1), T3)).toEqual([['2', '28', T2]]);
    expect(await range(T1, T2)).toEqual([['1', '26', T1]]);
    expect(await range(T1, plusMs(T3, 1))).toEqual([
      ['-0.5', '27.5', T3],
      ['2', '28', T2],
      ['1', '26', T1],
    ]);
    expect(await range(T3, null)).toHaveLength(2); // T3 and the seed deposit (an hour ago)
    expect(await range(null, T1)).toEqual([]);
    // Exactly 366 days is accepted.
    expect(await range(T1, plusMs(T1, 366 * DAY_MS))).toHaveLength(4);
  });

  it('redacts ids of accounts outside the caller firm from descriptions', async () => {
    const page = await statement(alphaKey, { accountId: alphaOptionsId, asset: 'BTC', from: T1, to: T2 });
    expect(page.edges.map((edge) => edge.node.description)).toEqual([
      `fixture of <redacted> to ${alphaOptionsId} via <redacted> on ${instrumentIds.get('BTC-PERP')}`,
    ]);
  });

  it('serves the same lines as the Account.statement field', async () => {
    const top = await statement(alphaKey, { accountId: alphaMainId, first: 3, asset: 'USDC' });
    const { body } = await graphql(alphaKey, NESTED_STATEMENT, { id: alphaMainId, first: 3, asset: 'USDC' });
    expect(body.errors).toBeUndefined();
    expect((body.data?.['account'] as { statement: LineConnection }).statement).toEqual(top);
  });

  it('batches Account.statement over a page of accounts: same lines, a bounded number of queries', async () => {
    const query = `query($first: Int!) { accounts(first: $first) { edges { node { id
      statement(first: 3) { edges { cursor node { ${LINE_FIELDS} } } pageInfo { hasNextPage endCursor } } } } } }`;
    const logger = dataSource.logger;
    const logQuery = logger.logQuery.bind(logger);
    let queries = 0;
    logger.logQuery = (...args) => {
      queries += 1;
      logQuery(...args);
    };
    try {
      await graphql(alphaKey, query, { first: 1 }); // warm: key lookup cache, JIT
      queries = 0;
      const one = await graphql(alphaKey, query, { first: 1 });
      const queriesForOne = queries;
      queries = 0;
      const all = await graphql(alphaKey, query, { first: 100 });
      const queriesForAll = queries;
      expect(one.body.errors).toBeUndefined();
      const nodes = (all.body.data?.['accounts'] as { edges: { node: { id: string; statement: LineConnection } }[] })
        .edges;
      expect(nodes).toHaveLength(2 + EXTRA_ALPHA_ACCOUNTS);
      expect(nodes.map((edge) => edge.node.id)).toEqual(expect.arrayContaining([alphaMainId, alphaOptionsId]));
      for (const { node } of nodes) {
        expect(node.statement).toEqual(await statement(alphaKey, { accountId: node.id, first: 3 }));
      }
      // Key lookup, accounts, then one transaction: START TRANSACTION, SET TRANSACTION ISOLATION LEVEL,
      // pages, then (when a page has lines) balance sums, spans and visible ids, COMMIT. One query per
      // account would be at least 2 + 7 x 4.
      expect(queriesForOne).toBeLessThanOrEqual(9);
      expect(queriesForAll).toBeLessThanOrEqual(9);
    } finally {
      logger.logQuery = logQuery;
    }
  });

  describe('tenancy', () => {
    it("answers another firm's account exactly like a missing one", async () => {
      const missingId = randomUUID();
      const foreign = errorOf(await graphql(alphaKey, STATEMENT, { accountId: bravoMainId }));
      const missing = errorOf(await graphql(alphaKey, STATEMENT, { accountId: missingId }));
      expect(foreign.extensions).toEqual({ code: 'NOT_FOUND', field: 'accountId' });
      expect({ ...foreign, message: foreign.message.replace(bravoMainId, '<id>') }).toEqual({
        ...missing,
        message: missing.message.replace(missingId, '<id>'),
      });
      // A house account and a malformed id: the same answer.
      for (const accountId of [custodyId, 'not-a-uuid']) {
        const refused = errorOf(await graphql(alphaKey, STATEMENT, { accountId }));
        expect(refused.extensions).toEqual({ code: 'NOT_FOUND', field: 'accountId' });
        expect(refused.message).toBe(`no account ${accountId}`);
      }
      // The owner sees it.
      expect((await statement(bravoKey, { accountId: bravoMainId })).edges.length).toBeGreaterThan(0);
    });

    it("answers the nested field under another firm's account exactly like under a missing one", async () => {
      const foreign = await graphql(alphaKey, NESTED_STATEMENT, { id: bravoMainId });
      const missing = await graphql(alphaKey, NESTED_STATEMENT, { id: randomUUID() });
      expect(foreign.body).toEqual({ data: { account: null } });
      expect(missing.body).toEqual(foreign.body);
    });
  });

  describe('refusals', () => {
    it('refuses callers other than member firms', async () => {
      expect(errorOf(await graphql(undefined, STATEMENT, { accountId: alphaMainId })).extensions?.code).toBe(
        'UNAUTHENTICATED',
      );
      expect(errorOf(await graphql(venueKey, STATEMENT, { accountId: alphaMainId })).extensions?.code).toBe(
        'FORBIDDEN',
      );
    });

    it('refuses an empty, reversed or over-long date range naming the argument', async () => {
      for (const [from, to] of [
        [T1, T1],
        [T2, T1],
        [T1, new Date(Date.parse(T1) + 366 * DAY_MS + 1).toISOString()],
      ]) {
        const refused = errorOf(await graphql(alphaKey, STATEMENT, { accountId: alphaMainId, from, to }));
        expect(refused.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'to' });
      }
      const notADate = errorOf(await graphql(alphaKey, STATEMENT, { accountId: alphaMainId, from: '2026-01-10' }));
      expect(notADate.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('refuses a malformed asset, page size or cursor', async () => {
      const asset = errorOf(await graphql(alphaKey, STATEMENT, { accountId: alphaMainId, asset: 'usdc; --' }));
      expect(asset.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'asset' });
      for (const first of [0, 101]) {
        const refused = errorOf(await graphql(alphaKey, STATEMENT, { accountId: alphaMainId, first }));
        expect(refused.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
      }
      const accountCursor = Buffer.from(`account:${randomUUID()}`).toString('base64url');
      for (const after of ['bm9wZQ', accountCursor]) {
        const refused = errorOf(await graphql(alphaKey, STATEMENT, { accountId: alphaMainId, after }));
        expect(refused.extensions).toEqual({ code: 'INVALID_CURSOR', field: 'after' });
      }
    });
  });
});
