/**
 * Load benchmark of the member GraphQL API over real HTTP: the API runs in this process on a fresh seeded
 * database; autocannon (in this process too) drives, one after the other in the same run, the
 * account-margin query (one account, 20 positions, its stored margin breakdown) and the trivial `version`
 * query, each for DURATION_S seconds with CONNECTIONS connections, and prints requests/s and p50/p99.
 *
 * The API's per-key and per-IP rate limits are raised through `createApiApp(config, { keyRateLimit,
 * anonymousRateLimit })` (see apps/api/src/security/security.options.ts): the Redis check still runs on
 * every operation, it just never refuses, so the bench measures the API and not the limiter. The margin
 * query runs against the API as configured by default (the authenticated-key cache and the response cache
 * on: common/read-model/response-cache.ts serves a repeated read-model-backed query without running
 * GraphQL, still authenticating and rate-limiting every request) and, to show what each layer gives, against
 * API instances on the same database with fewer caches: no key or response cache (one API key lookup in
 * PostgreSQL per request), that one with the read model off too, and the key cache without the response
 * cache.
 *
 * Goal (API issue): >= 5,000 req/s per core for the account-margin query with p99 <= 10 ms. The load
 * generator, Node (the API) and PostgreSQL share this machine's cores, so req/s per core here is the
 * total divided by all cores, a pessimistic figure.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  AccountEntity,
  AssetEntity,
  InstrumentEntity,
  MemberFirmEntity,
  RiskParameterSetEntity,
  VenueEntity,
  demoParameterSetBody,
  marginAccount,
  seedDemoMarket,
} from '@novation/persistence';
import { createTestDatabase, deleteQueueKeys, testConfig } from '@novation/testing';
import { Decimal } from '@novation/money';
import { DataSource } from 'typeorm';
import { createApiApp } from '../../apps/api/src/api.app.js';
import { ApiKeyService } from '../../apps/api/src/auth/api-key.service.js';
import { ReadModelService } from '../../apps/api/src/common/read-model/read-model.service.js';

const POSITION_COUNT = 20;
const CONNECTIONS = 50;
const DURATION_S = 10;
const WARMUP_S = 2;
const HOUR_MS = 3_600_000;
/** High enough never to refuse during the bench; the check itself still runs per operation. */
const UNLIMITED = { operationsPerSecond: 10_000_000, burst: 10_000_000 };
const KEY_CACHE_TTL_MS = 5_000;
/** Worker threads of autocannon (the connections are split between them). */
const LOAD_WORKERS = 1;

/** The subset of autocannon 8's programmatic API used here (it ships no types). */
interface AutocannonResult {
  readonly requests: { readonly average: number; readonly total: number };
  readonly latency: { readonly p50: number; readonly p99: number; readonly average: number; readonly max: number };
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly mismatches: number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  expectBody?: string;
  workers?: number;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const MARGIN_QUERY = `query AccountMargin($id: ID!) { account(id: $id) {
  id code settlementAsset marginState
  positions(first: ${POSITION_COUNT}) { edges { node { instrumentId symbol quantity averageEntryPrice markPrice } } }
  margin { receiptId computedAt status equity initialMargin maintenanceMargin marginRatio
           groups { settlementAsset initialMargin components { name initialMargin maintenanceMargin } }
           positions { instrumentId quantity equityContribution initialMargin } } } }`;
const VERSION_QUERY = '{ version { service version environment } }';

async function seedAccount(dataSource: DataSource): Promise<string> {
  const now = Date.now();
  await seedDemoMarket(dataSource, new Date(now - HOUR_MS));
  const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' });
  const bravo = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'BRAVO' });
  const account = await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId: alpha.id, code: 'main' });
  const counterparty = await dataSource.manager.findOneByOrFail(AccountEntity, {
    memberFirmId: bravo.id,
    code: 'main',
  });
  const venue = await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' });
  await dataSource.query(
    `INSERT INTO index_price (underlying, price, observed_at, source) VALUES ('BTC-USD', 100000, $1, 'bench')`,
    [new Date(now - 60_000)],
  );
  for (let index = 0; index < POSITION_COUNT; index += 1) {
    const symbol = `BENCH${String(index).padStart(2, '0')}-PERP`;
    await dataSource.manager.insert(InstrumentEntity, {
      symbol,
      kind: 'perpetual',
      settlementType: 'linear',
      underlying: 'BTC-USD',
      quoteAsset: 'USDC',
      settlementAsset: 'USDC',
      contractSize: new Decimal(1),
      quantityStep: new Decimal('0.001'),
      expiresAt: null,
      strike: null,
      optionType: null,
      underlyingReference: null,
      venueId: venue.id,
    });
    const instrument = await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol });
    const price = String(100_000 + 10 * index);
    await dataSource.query(
      `INSERT INTO mark_price (instrument_id, price, observed_at, source) VALUES ($1, $2, $3, 'bench')`,
      [instrument.id, price, new Date(now - 60_000)],
    );
    // Longs and shorts alternate, so the account is hedged like a real book.
    const quantity = index % 2 === 0 ? '0.1' : '0.05';
    const [buyer, seller] = index % 2 === 0 ? [account.id, counterparty.id] : [counterparty.id, account.id];
    const [trade] = (await dataSource.query(
      `INSERT INTO trade (venue_id, venue_trade_id, instrument_id, buyer_account_id, seller_account_id, quantity, price,
                          buyer_fee, seller_fee, executed_at, payload_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, $8, repeat('0', 64)) RETURNING id`,
      [venue.id, `bench-${index}`, instrument.id, buyer, seller, quantity, price, new Date(now - HOUR_MS / 2)],
    )) as { id: string }[];
    for (const [accountId, signed] of [
      [buyer, quantity],
      [seller, `-${quantity}`],
    ] as const) {
      await dataSource.query(
        `INSERT INTO position (account_id, instrument_id, quantity, average_entry_price, last_trade_id) VALUES ($1, $2, $3, $4, $5)`,
        [accountId, instrument.id, signed, price, trade?.id],
      );
    }
  }
  // The demo parameter set has tier tables for the demo instruments only: a set built the same way after
  // the bench instruments exist, effective after it, covers them too.
  const assets = await dataSource.manager.find(AssetEntity, { order: { code: 'ASC' } });
  const instruments = await dataSource.manager.find(InstrumentEntity, { order: { id: 'ASC' } });
  await dataSource.manager.insert(RiskParameterSetEntity, {
    version: 'bench-1',
    status: 'active',
    body: demoParameterSetBody(assets, instruments),
    effectiveFrom: new Date(now - HOUR_MS / 4),
    proposedBy: 'bench',
    approvedBy: 'bench-approver',
  });
  await marginAccount(dataSource, account.id, now);
  return account.id;
}

interface Scenario {
  readonly name: string;
  readonly url: string;
  readonly body: string;
  readonly headers: Record<string, string>;
  /** Runs before and after the scenario (e.g. turns the read model's caches off and back on). */
  readonly setUp?: () => void;
  readonly tearDown?: () => void;
}

async function preflight(scenario: Scenario): Promise<string> {
  const response = await fetch(scenario.url, { method: 'POST', headers: scenario.headers, body: scenario.body });
  const text = await response.text();
  if (response.status !== 200 || text.includes('"errors"')) {
    throw new Error(`${scenario.name}: unexpected response ${response.status} ${text.slice(0, 500)}`);
  }
  return text;
}

/**
 * `apiBusy` is the event-loop utilisation of the API's thread during the run (0..1): the share of one
 * core the API itself used. req/s per API core = req/s / apiBusy: what one core running only the API
 * serves, the load generator, Redis and PostgreSQL being elsewhere.
 */
function row(name: string, result: AutocannonResult, cores: number, apiBusy: number): string {
  return [
    name.padEnd(26),
    Math.round(result.requests.average).toLocaleString('en-US').padStart(9),
    Math.round(result.requests.average / cores)
      .toLocaleString('en-US')
      .padStart(14),
    `${Math.round(apiBusy * 100)}%`.padStart(8),
    Math.round(result.requests.average / Math.max(apiBusy, 0.01))
      .toLocaleString('en-US')
      .padStart(12),
    String(result.latency.p50).padStart(7),
    String(result.latency.p99).padStart(7),
    String(result.latency.max).padStart(7),
    result.requests.total.toLocaleString('en-US').padStart(9),
    String(result.non2xx + result.errors + result.timeouts + result.mismatches).padStart(6),
  ].join(' | ');
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  const database = await createTestDatabase();
  // The production defaults (API_KEY_CACHE_TTL_MS 5,000 ms, so the key and response caches on), not the
  // test configuration's (0).
  const config = testConfig({ DATABASE_URL: database.url, API_KEY_CACHE_TTL_MS: String(KEY_CACHE_TTL_MS) });
  const limits = { keyRateLimit: UNLIMITED, anonymousRateLimit: UNLIMITED };
  const app = await createApiApp(config, limits);
  const uncachedApp = await createApiApp(config, { ...limits, authenticationCacheTtlMs: 0 });
  const keyCacheApp = await createApiApp(config, { ...limits, responseCache: false });
  try {
    await app.listen(0, '127.0.0.1');
    await uncachedApp.listen(0, '127.0.0.1');
    await keyCacheApp.listen(0, '127.0.0.1');
    const url = `${await app.getUrl()}/graphql`;
    const uncachedUrl = `${await uncachedApp.getUrl()}/graphql`;
    const keyCacheUrl = `${await keyCacheApp.getUrl()}/graphql`;
    const dataSource = app.get(DataSource);
    const accountId = await seedAccount(dataSource);
    const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' });
    const key = (await app.get(ApiKeyService).issue({ role: 'member', memberFirmId: alpha.id, label: 'bench' })).key;
    const json = { 'content-type': 'application/json' };
    const margin = {
      body: JSON.stringify({ query: MARGIN_QUERY, variables: { id: accountId } }),
      headers: { ...json, authorization: `Bearer ${key}` },
    };
    const readModel = uncachedApp.get(ReadModelService);
    const setCaches = (enabled: boolean) => () => {
      readModel.accounts.enabled = enabled;
      readModel.marks.enabled = enabled;
    };
    const scenarios: Scenario[] = [
      {
        name: 'margin, no caches',
        url: uncachedUrl,
        ...margin,
        setUp: setCaches(false),
        tearDown: setCaches(true),
      },
      { name: 'margin, read model only', url: uncachedUrl, ...margin },
      { name: 'margin, + key cache', url: keyCacheUrl, ...margin },
      { name: 'account margin (default)', url, ...margin },
      { name: 'version', url, body: JSON.stringify({ query: VERSION_QUERY }), headers: json },
    ];
    const marginJson = JSON.parse(await preflight(scenarios[0] as Scenario)) as {
      data: { account: { positions: { edges: unknown[] }; margin: { positions: unknown[] } | null } };
    };
    const { positions, margin: breakdown } = marginJson.data.account;
    if (positions.edges.length !== POSITION_COUNT || breakdown === null) {
      throw new Error('the bench account is not seeded as expected');
    }

    console.log(
      `API load: ${CONNECTIONS} connections, ${DURATION_S} s per query after ${WARMUP_S} s of warm-up; ` +
        `account margin = 1 account, ${positions.edges.length} positions, ${breakdown.positions.length} margin contributions`,
    );
    console.log(
      `${cores} cores, shared by autocannon, the API (one Node process) and PostgreSQL: ` +
        'req/s/core is the total divided by all of them (pessimistic); "API busy" is the API thread\'s event-loop ' +
        'utilisation and req/s/API core the rate one core running only the API would serve. ' +
        'Goal: margin >= 5,000 req/s/core, p99 <= 10 ms.',
    );
    console.log(
      `Rate limits raised to ${UNLIMITED.operationsPerSecond.toLocaleString('en-US')} ops/s (the Redis check still runs); ` +
        `database pool ${config.database.poolSizeMax}.`,
    );
    const header = [
      'query'.padEnd(26),
      '    req/s',
      'req/s per core',
      'API busy',
      'req/s/API core',
      'p50 ms',
      'p99 ms',
      'max ms',
      'requests',
      'failed',
    ];
    const rows: string[] = [];
    // `node api-load.bench.js <text>` runs only the scenarios whose name contains <text> (for profiling).
    const only = process.argv[2];
    for (const scenario of scenarios.filter((candidate) => only === undefined || candidate.name.includes(only))) {
      scenario.setUp?.();
      const expectBody = await preflight(scenario);
      // The load generator runs on its own thread: on the API's event loop it would take a large share
      // of the very CPU time being measured.
      const base = {
        url: scenario.url,
        connections: CONNECTIONS,
        method: 'POST' as const,
        headers: scenario.headers,
        workers: LOAD_WORKERS,
      };
      await autocannon({ ...base, duration: WARMUP_S, body: scenario.body });
      // The margin body changes with nothing during the run, so every response is compared with the first.
      const expected = scenario.name === 'version' ? {} : { expectBody };
      const utilisationBefore = performance.eventLoopUtilization();
      const result = await autocannon({ ...base, duration: DURATION_S, body: scenario.body, ...expected });
      const apiBusy = performance.eventLoopUtilization(utilisationBefore).utilization;
      rows.push(row(scenario.name, result, cores, apiBusy));
      scenario.tearDown?.();
    }
    console.log(header.join(' | '));
    for (const line of rows) console.log(line);
  } finally {
    await keyCacheApp.close();
    await uncachedApp.close();
    await app.close();
    await database.drop();
    await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
  }
}

await main();
