import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import { MemberFirmEntity, seedDemoMarket } from '@novation/persistence';
import { createTestDatabase, deleteQueueKeys, testConfig, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { createApiApp } from '../src/api.app.js';
import { ApiKeyService } from '../src/auth/api-key.service.js';
import {
  FAILED_AUTHENTICATION_RATE_LIMIT,
  QUERY_ALIASES_MAX,
  QUERY_COST_MAX,
  type ApiSecurityOptions,
} from '../src/security/security.options.js';

const HOUR_MS = 3_600_000;
const PRODUCTION_ADMIN_TOKEN_SECRET = 'abuse-e2e-production-secret-of-at-least-32-characters';
/**
 * Low limits, so the rate-limit tests trip whatever the machine's speed (with the documented 100/s and
 * bursts of 200, 300 concurrent requests trip nothing once a loaded machine needs more than a second).
 */
const KEY_RATE_LIMIT = { operationsPerSecond: 2, burst: 20 };
const ANONYMOUS_RATE_LIMIT = { operationsPerSecond: 2, burst: 30 };

interface GraphqlError {
  message: string;
  extensions?: Record<string, unknown> & { code?: string };
}

interface GraphqlResponse {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: GraphqlError[] };
}

/** An API on a fresh database with the ALPHA member firm seeded; one app per NOVATION_ENV. */
interface BootedApi {
  readonly config: NovationConfig;
  readonly database: TestDatabase;
  readonly app: NestFastifyApplication;
  readonly url: string;
}

async function bootApi(
  overrides: Record<string, string> = {},
  security: Partial<ApiSecurityOptions> = {},
): Promise<BootedApi> {
  const database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url, ...overrides });
  const app = await createApiApp(config, security);
  await app.listen(0, '127.0.0.1');
  await seedDemoMarket(app.get(DataSource), new Date(Date.now() - HOUR_MS));
  return { config, database, app, url: `${await app.getUrl()}/graphql` };
}

async function closeApi(api: BootedApi | undefined): Promise<void> {
  await api?.app.close();
  await api?.database.drop();
  // Every rate-limit key lives under the file's unique QUEUE_PREFIX.
  if (api !== undefined) await deleteQueueKeys(api.config.redis.url, api.config.redis.queuePrefix);
}

async function issueMemberKey(api: BootedApi, label: string): Promise<string> {
  const dataSource = api.app.get(DataSource);
  const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' });
  return (await api.app.get(ApiKeyService).issue({ role: 'member', memberFirmId: alpha.id, label })).key;
}

/** POSTs `body` as it is (a string is sent verbatim); asserts no stack trace or server source location. */
async function post(url: string, key: string | undefined, body: unknown): Promise<GraphqlResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  expect(text).not.toMatch(/"stack"|\bat .+\.(?:js|ts|mjs|cjs):\d+/);
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as GraphqlResponse['body'] };
}

const graphql = (url: string, key: string | undefined, query: string, variables: Record<string, unknown> = {}) =>
  post(url, key, { query, variables });

const codesOf = (response: GraphqlResponse) => response.body.errors?.map((error) => error.extensions?.code);

describe('GraphQL abuse limits', () => {
  let api: BootedApi;
  let memberKey: string;

  beforeAll(async () => {
    api = await bootApi({}, { keyRateLimit: KEY_RATE_LIMIT, anonymousRateLimit: ANONYMOUS_RATE_LIMIT });
    memberKey = await issueMemberKey(api, 'abuse desk');
  });

  afterAll(async () => {
    await closeApi(api);
  });

  it('refuses a query 50 levels deep before validating it', async () => {
    // `ofType` nests to any depth, so this is a valid query, refused only for its depth.
    const query = `{ __type(name: "Account") { ${'ofType { '.repeat(48)}name${' }'.repeat(48)} } }`;
    const response = await graphql(api.url, memberKey, query);
    expect(response.status).toBe(400);
    expect(codesOf(response)).toEqual(['QUERY_TOO_DEEP']);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ depth: 50, maxDepth: 12 });
    expect(response.body.data ?? null).toBeNull();
  });

  it('refuses 1,000 aliases cheaply, while a few are fine', async () => {
    const aliases = Array.from({ length: 1_000 }, (_, index) => `a${index}: version { service }`).join(' ');
    const started = performance.now();
    const response = await graphql(api.url, memberKey, `{ ${aliases} }`);
    const elapsedMs = performance.now() - started;
    expect(response.status).toBe(400);
    expect(codesOf(response)).toEqual(['TOO_MANY_ALIASES']);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ aliases: 1_000, maxAliases: QUERY_ALIASES_MAX });
    // Refused before graphql-js's quadratic overlapping-fields validation.
    expect(elapsedMs).toBeLessThan(1_000);
    // A document of more than QUERY_TOKENS_MAX tokens is not even parsed to the end.
    const long = await graphql(api.url, memberKey, `{ version { ${'service '.repeat(20_000)}} }`);
    expect(long.status).toBe(400);
    expect(long.body.errors?.[0]?.message).toMatch(/more th\w+ 10000 tokens/);
    const few = await graphql(api.url, memberKey, '{ a: version { service } b: version { environment } }');
    expect(few.body).toEqual({ data: { a: { service: 'api' }, b: { environment: 'test' } } });
  });

  it('refuses a batch of 100 operations sent as a JSON array', async () => {
    const batch = Array.from({ length: 100 }, () => ({ query: '{ version { service } }' }));
    const response = await post(api.url, memberKey, batch);
    expect(response.status).toBe(400);
    expect(codesOf(response)).toEqual(['BATCH_NOT_ALLOWED']);
    expect(response.body.data ?? null).toBeNull();
  });

  it('refuses a 10 MB body with 413 before reading it', async () => {
    const padding = 'x'.repeat(10 * 1_048_576);
    const response = await post(api.url, memberKey, { query: `{ version { service } } # ${padding}` });
    expect(response.status).toBe(413);
    expect(codesOf(response)).toEqual(['PAYLOAD_TOO_LARGE']);
  });

  it('refuses a costly query before executing it and runs a normal one', async () => {
    const costly = await graphql(
      api.url,
      memberKey,
      '{ accounts(first: 100) { edges { node { id positions(first: 100) { edges { node { symbol quantity } } } } } } }',
    );
    expect(costly.status).toBe(400);
    expect(codesOf(costly)).toEqual(['QUERY_TOO_COSTLY']);
    expect(costly.body.errors?.[0]?.extensions).toMatchObject({ maxCost: QUERY_COST_MAX });
    expect(Number(costly.body.errors?.[0]?.extensions?.['cost'])).toBeGreaterThan(QUERY_COST_MAX);
    // A page size given as a variable counts as the largest page: the query is validated once, not per call.
    const viaVariables = await graphql(
      api.url,
      memberKey,
      'query($n: Int!) { accounts(first: $n) { edges { node { positions(first: $n) { edges { node { symbol } } } } } } }',
      { n: 2 },
    );
    expect(codesOf(viaVariables)).toEqual(['QUERY_TOO_COSTLY']);
    const normal = await graphql(
      api.url,
      memberKey,
      '{ accounts(first: 10) { edges { node { id code positions(first: 10) { edges { node { symbol quantity } } } } } } }',
    );
    expect(normal.status).toBe(200);
    expect(normal.body.errors).toBeUndefined();
    expect((normal.body.data?.['accounts'] as { edges: unknown[] }).edges.length).toBeGreaterThan(0);
  });

  it('allows introspection and GraphiQL outside production', async () => {
    const response = await graphql(api.url, undefined, '{ __schema { queryType { name } } }');
    expect(response.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    expect((await fetch(api.url.replace(/\/graphql$/, '/graphiql'))).status).toBe(200);
  });

  it('rate-limits operations per API key, not across keys', async () => {
    const limitedKey = await issueMemberKey(api, 'noisy desk');
    const otherKey = await issueMemberKey(api, 'quiet desk');
    const attempts = KEY_RATE_LIMIT.burst + 40;
    const started = Date.now();
    const responses = await Promise.all(
      Array.from({ length: attempts }, () => graphql(api.url, limitedKey, '{ version { service } }')),
    );
    const elapsedSeconds = (Date.now() - started) / 1000;
    const refused = responses.filter((response) => codesOf(response)?.[0] === 'RATE_LIMITED');
    const served = responses.filter((response) => response.body.errors === undefined);
    expect(served.length + refused.length).toBe(attempts);
    expect(refused.length).toBeGreaterThan(0);
    // At most the burst plus what the sustained rate refilled meanwhile.
    expect(served.length).toBeLessThanOrEqual(
      KEY_RATE_LIMIT.burst + Math.ceil(elapsedSeconds * KEY_RATE_LIMIT.operationsPerSecond) + 1,
    );
    const [first] = refused;
    expect(first?.status).toBe(429);
    const retryAfterMs = Number(first?.body.errors?.[0]?.extensions?.['retryAfterMs']);
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(1_000);
    expect(Number(first?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another key of the same firm is not affected.
    const other = await graphql(api.url, otherKey, '{ version { service } }');
    expect(other.body).toEqual({ data: { version: { service: 'api' } } });
    // And the noisy key works again once one emission interval has passed. Not `retryAfterMs` of the first
    // refusal in array order: a request that finished later may have taken the token that refusal waited for.
    await new Promise((resolve) => setTimeout(resolve, 1000 / KEY_RATE_LIMIT.operationsPerSecond + 50));
    const again = await graphql(api.url, limitedKey, '{ version { service } }');
    expect(again.body).toEqual({ data: { version: { service: 'api' } } });
  });

  it('stops looking up made-up API keys from an IP that sent too many, without touching the database', async () => {
    const dataSource = api.app.get(DataSource);
    const logQuery = dataSource.logger.logQuery.bind(dataSource.logger);
    let keyLookups = 0;
    dataSource.logger.logQuery = (query, ...rest) => {
      if (query.includes('api_key')) keyLookups += 1;
      logQuery(query, ...rest);
    };
    try {
      const madeUp = () => `nov_${randomBytes(9).toString('base64url')}_${randomBytes(32).toString('base64url')}`;
      const attempts = FAILED_AUTHENTICATION_RATE_LIMIT.burst + 30;
      const codes: (string | undefined)[] = [];
      // One after the other: each refused key is counted before the next request arrives.
      for (let attempt = 0; attempt < attempts; attempt += 1) {
        codes.push(codesOf(await graphql(api.url, madeUp(), '{ me { key { id } } }'))?.[0]);
      }
      expect(codes.slice(0, FAILED_AUTHENTICATION_RATE_LIMIT.burst)).toEqual(
        Array(FAILED_AUTHENTICATION_RATE_LIMIT.burst).fill('UNAUTHENTICATED'),
      );
      expect(codes.every((code) => code === 'UNAUTHENTICATED' || code === 'RATE_LIMITED')).toBe(true);
      expect(codes.filter((code) => code === 'RATE_LIMITED').length).toBeGreaterThan(0);
      // Looked up at most for the burst plus what the sustained rate refilled meanwhile, not for every attempt.
      expect(keyLookups).toBeLessThan(attempts);
      // A key that worked recently still works from the flooding address (one desk's stale key behind a
      // shared address does not lock out the others). The exact gate is unit-tested with a fake limiter.
      expect((await graphql(api.url, memberKey, '{ me { key { label } } }')).body.errors).toBeUndefined();
    } finally {
      dataSource.logger.logQuery = logQuery;
    }
  });

  it('rate-limits anonymous operations per IP', async () => {
    const responses = await Promise.all(
      Array.from({ length: ANONYMOUS_RATE_LIMIT.burst + 40 }, () =>
        graphql(api.url, undefined, '{ version { service } }'),
      ),
    );
    expect(responses.some((response) => codesOf(response)?.[0] === 'RATE_LIMITED')).toBe(true);
    // A keyed client from the same IP is counted by its key.
    const keyed = await graphql(api.url, memberKey, '{ version { service } }');
    expect(keyed.body).toEqual({ data: { version: { service: 'api' } } });
  });
});

describe('GraphQL abuse limits in production', () => {
  let api: BootedApi;

  beforeAll(async () => {
    api = await bootApi({ NOVATION_ENV: 'production', ADMIN_TOKEN_SECRET: PRODUCTION_ADMIN_TOKEN_SECRET });
  });

  afterAll(async () => {
    await closeApi(api);
  });

  it('refuses __schema and __type, and serves no GraphiQL', async () => {
    const schema = await graphql(api.url, undefined, '{ __schema { queryType { name } } }');
    expect(schema.status).toBe(400);
    expect(codesOf(schema)).toEqual(['INTROSPECTION_DISABLED']);
    const type = await graphql(api.url, undefined, '{ __type(name: "Account") { name } }');
    expect(codesOf(type)).toEqual(['INTROSPECTION_DISABLED']);
    const ide = await fetch(api.url.replace(/\/graphql$/, '/graphiql'));
    expect(ide.status).toBe(404);
    // Ordinary queries still work.
    const version = await graphql(api.url, undefined, '{ version { environment } }');
    expect(version.body).toEqual({ data: { version: { environment: 'production' } } });
  });
});

describe('authenticated-key cache (when configured)', () => {
  const TTL_MS = 1_000;
  let api: BootedApi;

  beforeAll(async () => {
    api = await bootApi({}, { authenticationCacheTtlMs: TTL_MS });
  });

  afterAll(async () => {
    await closeApi(api);
  });

  it('serves a revoked key for at most the TTL, then refuses it', async () => {
    const dataSource = api.app.get(DataSource);
    const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' });
    const apiKeys = api.app.get(ApiKeyService);
    const issued = await apiKeys.issue({ role: 'member', memberFirmId: alpha.id, label: 'cached desk' });
    const me = '{ me { key { id } } }';
    expect((await graphql(api.url, issued.key, me)).body).toEqual({ data: { me: { key: { id: issued.id } } } });
    // Revoked through another instance's service: this API instance only learns of it from the database.
    await apiKeys.revoke(issued.id);
    const revokedAt = Date.now();
    let refused = false;
    while (!refused && Date.now() - revokedAt < TTL_MS + 500) {
      refused = codesOf(await graphql(api.url, issued.key, me))?.[0] === 'UNAUTHENTICATED';
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(refused).toBe(true);
    expect(Date.now() - revokedAt).toBeLessThanOrEqual(TTL_MS + 500);
  });
});
