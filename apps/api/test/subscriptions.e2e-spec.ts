import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Decimal } from '@novation/money';
import {
  AccountEntity,
  InstrumentEntity,
  MemberFirmEntity,
  VenueEntity,
  marginAccount,
  postJournalEntry,
  recordAccountEvent,
  seedDemoMarket,
} from '@novation/persistence';
import { createTestDatabase, testConfig, type TestDatabase } from '@novation/testing';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import { DataSource } from 'typeorm';
import WebSocket from 'ws';
import { createApiApp } from '../src/api.app.js';
import { ApiKeyService } from '../src/auth/api-key.service.js';

const HOUR_MS = 3_600_000;

const EVENT_FIELDS = `id cursor accountId kind occurredAt details { name value }
  ... on MarginStateChangedEvent { fromState toState marginAsset equity initialMargin maintenanceMargin receiptId }
  ... on MarginCallOpenedEvent { marginCallId shortfall asset deadlineAt receiptId }`;
const SUBSCRIBE = `subscription($accountId: ID) { accountEvents(accountId: $accountId) { ${EVENT_FIELDS} } }`;
const CATCH_UP = `query($accountId: ID, $after: String, $first: Int) {
  accountEvents(accountId: $accountId, after: $after, first: $first) {
    edges { cursor node { ${EVENT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`;

interface GraphqlError {
  message: string;
  extensions?: { code?: string; field?: string };
}

interface EventNode {
  id: string;
  cursor: string;
  accountId: string;
  kind: string;
  [field: string]: unknown;
}

/** What one subscription received, in order, and a way to wait for the next thing without a timer. */
class Inbox {
  readonly events: EventNode[] = [];
  errors: GraphqlError[] | null = null;
  closeCode: number | null = null;
  completed = false;
  private waiters: (() => void)[] = [];

  push(update: () => void): void {
    update();
    const woken = this.waiters;
    this.waiters = [];
    for (const wake of woken) wake();
  }

  /** Resolves once `ready()` holds (checked after every message). */
  async until(ready: () => boolean): Promise<void> {
    while (!ready()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

describe('account event subscriptions over graphql-ws', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let baseUrl: string;
  let alphaKey: string;
  let bravoKey: string;
  let venueKey: string;
  let alphaLong: string;
  let alphaOther: string;
  let bravoShort: string;
  const clients: Client[] = [];
  const instrumentIds = new Map<string, string>();
  const T0 = Date.now() - HOUR_MS;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createApiApp(testConfig({ DATABASE_URL: database.url }));
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    dataSource = app.get(DataSource);
    await seedDemoMarket(dataSource, new Date(T0 - HOUR_MS));
    for (const instrument of await dataSource.manager.find(InstrumentEntity)) {
      instrumentIds.set(instrument.symbol, instrument.id);
    }
    await dataSource.query(
      `INSERT INTO index_price (underlying, price, observed_at, source) VALUES ('BTC-USD', 100000, $1, 'test')`,
      [new Date(T0 - 60_000)],
    );
    await markPrice('100000', T0 - 60_000);
    const custodyId = (await dataSource.manager.findOneByOrFail(AccountEntity, { houseRole: 'custody' })).id;
    const fundedAccount = async (firmCode: string, code: string, usdc: string): Promise<string> => {
      let firm = await dataSource.manager.findOneBy(MemberFirmEntity, { code: firmCode });
      firm ??= await dataSource.manager.save(MemberFirmEntity, { code: firmCode, name: firmCode });
      const account = await dataSource.manager.save(AccountEntity, {
        memberFirmId: firm.id,
        code,
        kind: 'cross',
        houseRole: null,
        settlementAsset: 'USDC',
        isolatedInstrumentId: null,
      });
      await dataSource.transaction((manager) =>
        postJournalEntry(manager, {
          idempotencyKey: `test:fund:${firmCode}:${code}`,
          kind: 'deposit',
          description: 'test funding',
          postings: [
            { accountId: account.id, asset: 'USDC', amount: new Decimal(usdc) },
            { accountId: custodyId, asset: 'USDC', amount: new Decimal(usdc).negated() },
          ],
        }),
      );
      return account.id;
    };
    alphaLong = await fundedAccount('EVT-ALPHA', 'long', '12000');
    alphaOther = await fundedAccount('EVT-ALPHA', 'other', '1000');
    bravoShort = await fundedAccount('EVT-BRAVO', 'short', '100000');
    // 5 BTC-PERP at 100,000: alpha long, bravo short.
    const venueId = (await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' })).id;
    const btcPerp = instrumentIds.get('BTC-PERP');
    const [trade] = (await dataSource.query(
      `INSERT INTO trade (venue_id, venue_trade_id, instrument_id, buyer_account_id, seller_account_id, quantity, price,
                          buyer_fee, seller_fee, executed_at, payload_hash)
       VALUES ($1, 'evt-1', $2, $3, $4, 5, 100000, 0, 0, $5, repeat('0', 64)) RETURNING id`,
      [venueId, btcPerp, alphaLong, bravoShort, new Date(T0 - HOUR_MS / 2)],
    )) as { id: string }[];
    for (const [accountId, quantity] of [
      [alphaLong, '5'],
      [bravoShort, '-5'],
    ] as const) {
      await dataSource.query(
        `INSERT INTO position (account_id, instrument_id, quantity, average_entry_price, last_trade_id)
         VALUES ($1, $2, $3, 100000, $4)`,
        [accountId, btcPerp, quantity, trade?.id],
      );
    }
    const apiKeys = app.get(ApiKeyService);
    const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'EVT-ALPHA' });
    const bravo = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'EVT-BRAVO' });
    alphaKey = (await apiKeys.issue({ role: 'member', memberFirmId: alpha.id, label: 'alpha events' })).key;
    bravoKey = (await apiKeys.issue({ role: 'member', memberFirmId: bravo.id, label: 'bravo events' })).key;
    venueKey = (await apiKeys.issue({ role: 'venue', venueId, label: 'demo venue' })).key;
  });

  let appClosed = false;

  afterAll(async () => {
    if (!appClosed) await app?.close();
    for (const client of clients) await client.dispose();
    await database?.drop();
  });

  async function markPrice(price: string, atMs: number): Promise<void> {
    await dataSource.query(
      `INSERT INTO mark_price (instrument_id, price, observed_at, source) VALUES ($1, $2, $3, 'test')`,
      [instrumentIds.get('BTC-PERP'), price, new Date(atMs)],
    );
  }

  function client(key: string | null): Client {
    const created = createClient({
      url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: key === null ? {} : { authorization: `Bearer ${key}` },
      retryAttempts: 0,
      lazy: true,
    });
    clients.push(created);
    return created;
  }

  /** Subscribes and resolves once the server has started the subscription (or refused it). */
  function subscribe(key: string | null, variables: Record<string, unknown> = {}): { inbox: Inbox; client: Client } {
    const inbox = new Inbox();
    const graphqlClient = client(key);
    graphqlClient.subscribe<{ accountEvents: EventNode }>(
      { query: SUBSCRIBE, variables },
      {
        next: (message) =>
          inbox.push(() => {
            if (message.errors !== undefined) inbox.errors = message.errors as GraphqlError[];
            if (message.data?.accountEvents !== undefined) inbox.events.push(message.data.accountEvents);
          }),
        error: (error: unknown) =>
          inbox.push(() => {
            if (Array.isArray(error)) inbox.errors = error as GraphqlError[];
            else inbox.closeCode = (error as { code?: number }).code ?? -1;
          }),
        complete: () =>
          inbox.push(() => {
            inbox.completed = true;
          }),
      },
    );
    return { inbox, client: graphqlClient };
  }

  /**
   * Resolves once a subscription is live on the server: a marker event of the subscriber's own firm,
   * recorded after subscribing, arrives (the server subscribes before it acknowledges nothing else).
   */
  async function markerReceived(inbox: Inbox, accountId: string, label: string): Promise<EventNode> {
    const key = `test:marker:${label}`;
    let delivered: EventNode | undefined;
    // Recorded again until one arrives: the subscription may not be registered yet on the first tries.
    // The dedupe key changes per attempt, and each attempt waits for nothing but the database.
    for (let attempt = 1; delivered === undefined; attempt += 1) {
      await dataSource.transaction((manager) =>
        recordAccountEvent(manager, {
          accountId,
          kind: 'liquidation-completed',
          dedupeKey: `${key}:${attempt}`,
          // A complete liquidation-completed payload, as execute-liquidation-step.ts records it.
          payload: {
            liquidationId: `${label}-${attempt}`,
            steps: 0,
            deficit: '0',
            uncovered: '0',
            marginState: 'healthy',
          },
        }),
      );
      await dataSource.query('SELECT pg_sleep(0.05)');
      delivered = inbox.events.find((event) => markerLabel(event)?.startsWith(`${label}-`) === true);
      if (attempt > 200) throw new Error(`subscription ${label} never became live`);
    }
    return delivered;
  }

  function markerLabel(event: EventNode): string | undefined {
    if (event.kind !== 'LIQUIDATION_COMPLETED') return undefined;
    const details = event['details'] as { name: string; value: string | null }[];
    return details.find((detail) => detail.name === 'liquidationId')?.value ?? undefined;
  }

  const isMarginEvent = (event: EventNode) => event.kind.startsWith('MARGIN_');

  async function graphql(key: string, query: string, variables: Record<string, unknown> = {}) {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    expect(text).not.toMatch(/"stack"|\bat .+\.(?:js|ts|mjs):\d+/);
    return JSON.parse(text) as { data?: Record<string, unknown> | null; errors?: GraphqlError[] };
  }

  it('pushes a margin call to its firm with exact figures, nothing to another firm, and the catch-up query agrees', async () => {
    const alphaAll = subscribe(alphaKey);
    const alphaLongOnly = subscribe(alphaKey, { accountId: alphaLong });
    const bravoAll = subscribe(bravoKey);
    await markerReceived(alphaAll.inbox, alphaOther, 'alpha');
    await markerReceived(alphaLongOnly.inbox, alphaLong, 'alpha-long');
    await markerReceived(bravoAll.inbox, bravoShort, 'bravo');

    // Healthy at 100,000 (equity 12,000 >= IM 10,000): no state change, no event.
    expect((await marginAccount(dataSource, alphaLong, T0)).newState).toBe('healthy');
    // Mark 99,500: equity 12,000 - 5 x 500 = 9,500 < IM 2% x 497,500 = 9,950; MM 1% = 4,975.
    const t1 = T0 + 60_000;
    await markPrice('99500', t1 - 1_000);
    const called = await marginAccount(dataSource, alphaLong, t1);
    expect(called.newState).toBe('margin_call');
    // Bravo's short gained: healthy, unchanged, no event.
    expect((await marginAccount(dataSource, bravoShort, t1)).newState).toBe('healthy');

    await alphaAll.inbox.until(() => alphaAll.inbox.events.some((event) => event.kind === 'MARGIN_CALL_OPENED'));
    const pushed = alphaAll.inbox.events.filter((event) => event.accountId === alphaLong && isMarginEvent(event));
    expect(pushed).toEqual([
      expect.objectContaining({
        kind: 'MARGIN_STATE_CHANGED',
        accountId: alphaLong,
        fromState: 'HEALTHY',
        toState: 'MARGIN_CALL',
        marginAsset: 'USDC',
        equity: '9500',
        initialMargin: '9950',
        maintenanceMargin: '4975',
        receiptId: called.receiptId,
      }),
      expect.objectContaining({
        kind: 'MARGIN_CALL_OPENED',
        accountId: alphaLong,
        marginCallId: called.marginCallId,
        shortfall: '450',
        asset: 'USDC',
        deadlineAt: new Date(t1 + 24 * HOUR_MS).toISOString(),
        receiptId: called.receiptId,
      }),
    ]);
    expect(pushed[1]?.['details']).toEqual(
      expect.arrayContaining([
        { name: 'shortfall', value: '450' },
        { name: 'marginCallId', value: called.marginCallId },
      ]),
    );

    // The account-filtered subscription got the same two, and nothing of alpha's other account.
    await alphaLongOnly.inbox.until(() => alphaLongOnly.inbox.events.filter(isMarginEvent).length >= 2);
    expect(alphaLongOnly.inbox.events.filter(isMarginEvent).map((event) => event.id)).toEqual(
      pushed.map((event) => event.id),
    );
    expect(alphaLongOnly.inbox.events.every((event) => event.accountId === alphaLong)).toBe(true);

    // Bravo hears of its own firm only: a later bravo marker arrives with nothing of alpha's before it.
    const bravoMarker = await markerReceived(bravoAll.inbox, bravoShort, 'bravo-after');
    expect(bravoAll.inbox.events.every((event) => event.accountId === bravoShort)).toBe(true);
    expect(bravoMarker.accountId).toBe(bravoShort);

    // Catch-up over HTTP: the same events, paged by the cursors the subscription handed out.
    // Catch-up may hold an event back for an instant (a transaction of another test's database ending
    // while it looks, see listAccountEvents): read until both margin events are there.
    let page = await graphql(alphaKey, CATCH_UP, { accountId: alphaLong, first: 10 });
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const nodes = (page.data?.['accountEvents'] as { edges: { node: EventNode }[] } | undefined)?.edges ?? [];
      if (nodes.filter((edge) => isMarginEvent(edge.node)).length >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
      page = await graphql(alphaKey, CATCH_UP, { accountId: alphaLong, first: 10 });
    }
    expect(page.errors).toBeUndefined();
    const connection = page.data?.['accountEvents'] as {
      edges: { cursor: string; node: EventNode }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
    const stored = connection.edges.map((edge) => edge.node);
    // The same events; a pushed event's cursor is its live resume point, a stored one its own place.
    const withoutCursor = ({ cursor: _cursor, ...event }: EventNode) => event;
    expect(stored.filter(isMarginEvent).map(withoutCursor)).toEqual(pushed.map(withoutCursor));
    expect(stored.every((node) => node.accountId === alphaLong)).toBe(true);
    expect(connection.edges.map((edge) => edge.cursor)).toEqual(stored.map((node) => node.cursor));
    expect(connection.pageInfo).toEqual({ hasNextPage: false, endCursor: stored.at(-1)?.cursor });
    // Resuming after the first pushed event returns the second, and at most repeats the first: never skips.
    const after = await graphql(alphaKey, CATCH_UP, { accountId: alphaLong, after: pushed[0]?.cursor, first: 10 });
    const resumed = (after.data?.['accountEvents'] as typeof connection).edges.map((edge) => edge.node.id);
    expect(resumed).toContain(pushed[1]?.id);
    expect(resumed.every((id) => id === pushed[0]?.id || id === pushed[1]?.id)).toBe(true);
    // Paging by a stored event's own cursor repeats nothing.
    const afterStored = await graphql(alphaKey, CATCH_UP, {
      accountId: alphaLong,
      after: stored[0]?.cursor,
      first: 10,
    });
    expect((afterStored.data?.['accountEvents'] as typeof connection).edges.map((edge) => edge.node.id)).toEqual(
      stored.slice(1).map((node) => node.id),
    );
    const firstOnly = await graphql(alphaKey, CATCH_UP, { accountId: alphaLong, first: 1 });
    expect((firstOnly.data?.['accountEvents'] as typeof connection).pageInfo.hasNextPage).toBe(true);
    // Firm-wide catch-up for alpha: its marker and the two, none of bravo's.
    const firmWide = await graphql(alphaKey, CATCH_UP, { first: 100 });
    const firmNodes = (firmWide.data?.['accountEvents'] as typeof connection).edges.map((edge) => edge.node);
    expect(firmNodes.every((node) => node.accountId === alphaLong || node.accountId === alphaOther)).toBe(true);
    expect(firmNodes.map((node) => node.id)).toEqual(expect.arrayContaining(pushed.map((event) => event.id)));
  });

  it("refuses another firm's account exactly like a missing one, on the subscription and the query", async () => {
    const foreign = subscribe(alphaKey, { accountId: bravoShort });
    const missing = subscribe(alphaKey, { accountId: '00000000-0000-4000-8000-000000000000' });
    await foreign.inbox.until(() => foreign.inbox.errors !== null);
    await missing.inbox.until(() => missing.inbox.errors !== null);
    const shape = (errors: GraphqlError[] | null) =>
      errors?.map((error) => ({
        code: error.extensions?.code,
        message: error.message.replace(/[0-9a-f-]{36}/, '<id>'),
      }));
    expect(shape(foreign.inbox.errors)).toEqual([{ code: 'NOT_FOUND', message: 'no account <id>' }]);
    expect(shape(missing.inbox.errors)).toEqual(shape(foreign.inbox.errors));

    const foreignQuery = await graphql(alphaKey, CATCH_UP, { accountId: bravoShort });
    const missingQuery = await graphql(alphaKey, CATCH_UP, { accountId: '00000000-0000-4000-8000-000000000000' });
    expect(foreignQuery.data).toBeNull();
    expect(shape(foreignQuery.errors ?? null)).toEqual([{ code: 'NOT_FOUND', message: 'no account <id>' }]);
    expect(shape(missingQuery.errors ?? null)).toEqual(shape(foreignQuery.errors ?? null));
    const badCursor = await graphql(alphaKey, CATCH_UP, { after: 'not-a-cursor' });
    expect(badCursor.errors?.map((error) => error.extensions?.code)).toEqual(['INVALID_CURSOR']);
  });

  it('validates a subscription document like a query', async () => {
    const inbox = new Inbox();
    client(alphaKey).subscribe(
      { query: 'subscription { accountEvents { id noSuchField } }' },
      {
        next: () => undefined,
        error: (error: unknown) =>
          inbox.push(() => {
            inbox.errors = Array.isArray(error) ? (error as GraphqlError[]) : [];
          }),
        complete: () => undefined,
      },
    );
    await inbox.until(() => inbox.errors !== null);
    expect(inbox.errors?.map((error) => error.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('closes the socket of a bad or missing key with 4401 and of a non-member key with 4403', async () => {
    const bad = subscribe('nov_live_notavalidkeyatall');
    const none = subscribe(null);
    const venue = subscribe(venueKey);
    for (const { inbox } of [bad, none, venue]) await inbox.until(() => inbox.closeCode !== null);
    expect(bad.inbox.closeCode).toBe(4401);
    expect(none.inbox.closeCode).toBe(4401);
    expect(venue.inbox.closeCode).toBe(4403);
    expect([bad, none, venue].every(({ inbox }) => inbox.events.length === 0)).toBe(true);
  });

  // Last: shuts the app down with a subscription live, as SIGTERM does (runService calls app.close()).
  it('pushes an event committed while LISTEN was down once the older transaction holding it back ends', async () => {
    const live = subscribe(alphaKey);
    await markerReceived(live.inbox, alphaOther, 'reconnect');
    const observer = new pg.Client({ connectionString: database.url });
    await observer.connect();
    // An older write transaction, open throughout: catch-up holds back every younger transaction's events.
    const older = new pg.Client({ connectionString: database.url });
    await older.connect();
    await older.query('BEGIN');
    await older.query('SELECT pg_current_xact_id()');
    // A younger transaction records an event and commits just after the LISTEN connection is killed (it
    // reconnects after 100 ms at the soonest): its notification is lost, only a replay can push it.
    const younger = dataSource.createQueryRunner();
    await younger.connect();
    await younger.startTransaction();
    await recordAccountEvent(younger.manager, {
      accountId: alphaOther,
      kind: 'liquidation-completed',
      dedupeKey: 'test:held-back',
      payload: { liquidationId: 'held-back', steps: 0, deficit: '0', uncovered: '0', marginState: 'healthy' },
    });
    await observer.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = $1 AND application_name = 'novation-api-account-events'`,
      [database.name],
    );
    await younger.commitTransaction();
    await younger.release();
    const heldBack = () => live.inbox.events.some((event) => markerLabel(event) === 'held-back');
    // Back and replaying, but the event stays held back while the older transaction runs...
    const listening = async () =>
      (
        await observer.query<{ count: number }>(
          `SELECT count(*)::int AS count FROM pg_stat_activity
            WHERE datname = $1 AND application_name = 'novation-api-account-events'`,
          [database.name],
        )
      ).rows[0]?.count === 1;
    while (!(await listening())) await observer.query('SELECT pg_sleep(0.05)');
    await observer.query('SELECT pg_sleep(0.5)');
    expect(heldBack()).toBe(false);
    // ...and is pushed once it ends: the replay goes on until the horizon passes the reconnection.
    await older.query('COMMIT');
    await live.inbox.until(heldBack);
    expect(live.inbox.events.filter((event) => markerLabel(event) === 'held-back')).toHaveLength(1);
    await older.end();
    await observer.end();
  });

  it('closes live subscriptions and its LISTEN connection when the app shuts down', async () => {
    const live = subscribe(alphaKey);
    await markerReceived(live.inbox, alphaOther, 'shutdown');
    // Counted from outside the app: its own pool is about to close.
    const observer = new pg.Client({ connectionString: database.url });
    await observer.connect();
    const listeners = async () =>
      (
        await observer.query<{ count: number }>(
          `SELECT count(*)::int AS count FROM pg_stat_activity
              WHERE datname = $1 AND application_name = 'novation-api-account-events'`,
          [database.name],
        )
      ).rows[0]?.count;
    expect(await listeners()).toBe(1);
    appClosed = true;
    await app.close();
    await live.inbox.until(() => live.inbox.closeCode !== null || live.inbox.completed);
    expect(await listeners()).toBe(0);
    await observer.end();
  });
});

describe('account event subscriptions and the rate limit', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let baseUrl: string;
  let alphaKey: string;
  let alphaMain: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    // Two operations per key, refilled only after 100 s: the test decides which operation is refused.
    app = await createApiApp(testConfig({ DATABASE_URL: database.url }), {
      keyRateLimit: { operationsPerSecond: 0.01, burst: 2 },
    });
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    dataSource = app.get(DataSource);
    await seedDemoMarket(dataSource, new Date(Date.now() - HOUR_MS));
    const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' });
    alphaMain = (await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId: alpha.id, code: 'main' })).id;
    alphaKey = (await app.get(ApiKeyService).issue({ role: 'member', memberFirmId: alpha.id, label: 'alpha' })).key;
  });

  afterAll(async () => {
    await app?.close();
    for (const client of clients) await client.dispose();
    await database?.drop();
  });

  function liveSubscription(label: string): Promise<void> {
    const inbox = new Inbox();
    const graphqlClient = createClient({
      url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${alphaKey}` },
      retryAttempts: 0,
    });
    clients.push(graphqlClient);
    graphqlClient.subscribe<{ accountEvents: EventNode }>(
      { query: `subscription { accountEvents { id kind details { name value } } }` },
      {
        next: (message) =>
          inbox.push(() => {
            if (message.data?.accountEvents !== undefined) inbox.events.push(message.data.accountEvents);
          }),
        error: (error: unknown) =>
          inbox.push(() => {
            inbox.errors = Array.isArray(error) ? (error as GraphqlError[]) : [];
          }),
        complete: () => undefined,
      },
    );
    return (async () => {
      for (let attempt = 1; inbox.events.length === 0 && inbox.errors === null; attempt += 1) {
        if (attempt > 200) throw new Error(`subscription ${label} never became live`);
        await dataSource.transaction((manager) =>
          recordAccountEvent(manager, {
            accountId: alphaMain,
            kind: 'liquidation-completed',
            dedupeKey: `test:rate:${label}:${attempt}`,
            payload: { liquidationId: label, steps: 0, deficit: '0', uncovered: '0', marginState: 'healthy' },
          }),
        );
        await dataSource.query('SELECT pg_sleep(0.05)');
      }
      expect(inbox.errors).toBeNull();
    })();
  }

  it('counts each subscription start as one operation of the key', async () => {
    await liveSubscription('first');
    await liveSubscription('second');
    // Both operations of the burst went to the two subscriptions (connecting is free): the next is refused.
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${alphaKey}` },
      body: JSON.stringify({ query: '{ accountEvents(first: 1) { edges { cursor } } }' }),
    });
    const body = (await response.json()) as { errors?: GraphqlError[] };
    expect(response.status).toBe(429);
    expect(body.errors?.map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);

    const inbox = new Inbox();
    const third = createClient({
      url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${alphaKey}` },
      retryAttempts: 0,
    });
    clients.push(third);
    third.subscribe(
      { query: 'subscription { accountEvents { id } }' },
      {
        next: () => undefined,
        error: (error: unknown) =>
          inbox.push(() => {
            inbox.errors = Array.isArray(error) ? (error as GraphqlError[]) : [];
          }),
        complete: () => undefined,
      },
    );
    await inbox.until(() => inbox.errors !== null);
    expect(inbox.errors?.map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);
  });
});
