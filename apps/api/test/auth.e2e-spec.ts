import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiKeyEntity, MemberFirmEntity, VenueEntity, hashApiKeySecret, seedDemoMarket } from '@novation/persistence';
import { createTestDatabase, testConfig, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { createApiApp } from '../src/api.app.js';
import { ApiKeyService } from '../src/auth/api-key.service.js';

const HOUR_MS = 3_600_000;
const KEY_FORMAT = /^nov_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/;
const ME = '{ me { firm { id code name } key { id label role } } }';

interface GraphqlResponse {
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string; field?: string } }[];
  };
}

describe('API keys and authentication over GraphQL', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let apiKeys: ApiKeyService;
  let baseUrl: string;
  let alphaId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createApiApp(testConfig({ DATABASE_URL: database.url }));
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    dataSource = app.get(DataSource);
    apiKeys = app.get(ApiKeyService);
    await seedDemoMarket(dataSource, new Date(Date.now() - HOUR_MS));
    alphaId = (await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' })).id;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  async function graphql(authorization: string | undefined, query: string): Promise<GraphqlResponse> {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
      body: JSON.stringify({ query }),
    });
    const text = await response.text();
    expect(text).not.toMatch(/"stack"|\bat .+\.(?:js|ts|mjs):\d+/);
    return { status: response.status, body: JSON.parse(text) as GraphqlResponse['body'] };
  }

  const bearer = (key: string) => `Bearer ${key}`;
  const codesOf = (response: GraphqlResponse) => response.body.errors?.map((error) => error.extensions?.code);
  const memberKey = (label = 'desk 1') => apiKeys.issue({ role: 'member', memberFirmId: alphaId, label });

  it('issues a key once: nov_<prefix>_<secret>, stored only as the SHA-256 of the secret', async () => {
    const issued = await memberKey();
    expect(issued.key).toMatch(KEY_FORMAT);
    const row = await dataSource.manager.findOneByOrFail(ApiKeyEntity, { id: issued.id });
    const secret = issued.key.slice('nov_'.length + 12 + 1);
    expect(row.prefix).toBe(issued.key.slice(4, 16));
    expect(row.secretHash).toBe(hashApiKeySecret(secret));
    expect(JSON.stringify(row)).not.toContain(secret);
    const { body } = await graphql(bearer(issued.key), ME);
    expect(body).toEqual({
      data: {
        me: {
          firm: { id: alphaId, code: 'ALPHA', name: 'Alpha Trading LLC' },
          key: { id: issued.id, label: 'desk 1', role: 'MEMBER' },
        },
      },
    });
  });

  it('refuses inconsistent issue requests with typed errors', async () => {
    await expect(apiKeys.issue({ role: 'member', label: 'no firm' })).rejects.toMatchObject({
      code: 'INVALID_API_KEY_REQUEST',
      field: 'firm',
    });
    await expect(apiKeys.issue({ role: 'custody', memberFirmId: alphaId, label: 'x' })).rejects.toMatchObject({
      code: 'INVALID_API_KEY_REQUEST',
    });
    await expect(apiKeys.issue({ role: 'custody', label: '' })).rejects.toMatchObject({ field: 'label' });
    await expect(
      apiKeys.issue({ role: 'custody', label: 'late', expiresAt: new Date(Date.now() - 1_000) }),
    ).rejects.toMatchObject({ field: 'expiresAt' });
  });

  it.each([
    ['no Authorization header', undefined],
    ['an empty bearer', 'Bearer '],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a malformed key', 'Bearer nov_short_key'],
    ['an unknown prefix', `Bearer nov_AAAAAAAAAAAA_${'A'.repeat(43)}`],
    ['an over-long header', `Bearer ${'x'.repeat(5_000)}`],
  ])('answers UNAUTHENTICATED for %s', async (_name, authorization) => {
    const { status, body } = await graphql(authorization, ME);
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.errors).toEqual([
      expect.objectContaining({ message: 'a valid API key is required', extensions: { code: 'UNAUTHENTICATED' } }),
    ]);
  });

  it('refuses a known prefix with a wrong secret', async () => {
    const issued = await memberKey();
    const forged = `${issued.key.slice(0, 17)}${'B'.repeat(43)}`;
    expect(forged).toMatch(KEY_FORMAT);
    expect(codesOf(await graphql(bearer(forged), ME))).toEqual(['UNAUTHENTICATED']);
  });

  it('answers FORBIDDEN to a valid key of another role', async () => {
    const venueId = (await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' })).id;
    const venue = await apiKeys.issue({ role: 'venue', venueId, label: 'venue feed' });
    const custody = await apiKeys.issue({ role: 'custody', label: 'custody bot' });
    for (const key of [venue.key, custody.key]) {
      const { body } = await graphql(bearer(key), ME);
      expect(body.errors).toEqual([
        expect.objectContaining({ message: 'this API key may not do this', extensions: { code: 'FORBIDDEN' } }),
      ]);
    }
  });

  it('keeps version and health public, with or without a key', async () => {
    for (const authorization of [undefined, 'Bearer nope']) {
      const { body } = await graphql(authorization, '{ version { service } health { status } }');
      expect(body).toEqual({ data: { version: { service: 'api' }, health: { status: 'UP' } } });
    }
  });

  it('refuses a revoked key at once; revoking twice is harmless', async () => {
    const issued = await memberKey();
    expect(codesOf(await graphql(bearer(issued.key), ME))).toBeUndefined();
    await apiKeys.revoke(issued.id);
    await apiKeys.revoke(issued.id);
    expect(codesOf(await graphql(bearer(issued.key), ME))).toEqual(['UNAUTHENTICATED']);
  });

  it('rotates a key: the new one works with the same scope and label, the old one is refused', async () => {
    const old = await memberKey('rotating');
    const rotated = await apiKeys.rotate(old.id);
    expect(rotated.key).toMatch(KEY_FORMAT);
    expect(rotated.key).not.toBe(old.key);
    expect(rotated).toMatchObject({ role: 'member', memberFirmId: alphaId, label: 'rotating' });
    expect(codesOf(await graphql(bearer(old.key), ME))).toEqual(['UNAUTHENTICATED']);
    const { body } = await graphql(bearer(rotated.key), ME);
    expect(body.data).toMatchObject({ me: { key: { id: rotated.id, label: 'rotating' } } });
    await expect(apiKeys.rotate(old.id)).rejects.toMatchObject({ code: 'INVALID_API_KEY_REQUEST' });
    await expect(apiKeys.rotate('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
      code: 'UNKNOWN_API_KEY',
    });
  });

  it('refuses a key after it expires', async () => {
    const issued = await apiKeys.issue({
      role: 'member',
      memberFirmId: alphaId,
      label: 'short-lived',
      expiresAt: new Date(Date.now() + HOUR_MS),
    });
    expect(codesOf(await graphql(bearer(issued.key), ME))).toBeUndefined();
    await dataSource.manager.update(ApiKeyEntity, { id: issued.id }, { expiresAt: new Date(Date.now() - 1_000) });
    expect(codesOf(await graphql(bearer(issued.key), ME))).toEqual(['UNAUTHENTICATED']);
  });

  it('records last use at most once a minute per key', async () => {
    const issued = await memberKey('usage');
    expect((await dataSource.manager.findOneByOrFail(ApiKeyEntity, { id: issued.id })).lastUsedAt).toBeNull();
    await graphql(bearer(issued.key), ME);
    const first = (await dataSource.manager.findOneByOrFail(ApiKeyEntity, { id: issued.id })).lastUsedAt;
    expect(first).toBeInstanceOf(Date);
    for (let request = 0; request < 3; request += 1) await graphql(bearer(issued.key), ME);
    const later = (await dataSource.manager.findOneByOrFail(ApiKeyEntity, { id: issued.id })).lastUsedAt;
    expect(later?.getTime()).toBe(first?.getTime());
  });

  it('answers INTERNAL, not UNAUTHENTICATED, when keys cannot be checked; public queries still work', async () => {
    const issued = await memberKey('outage');
    apiKeys.authenticate = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    try {
      const guarded = await graphql(bearer(issued.key), ME);
      expect(guarded.body.errors).toEqual([
        expect.objectContaining({ message: 'Internal error', extensions: { code: 'INTERNAL' } }),
      ]);
      expect(JSON.stringify(guarded.body)).not.toContain('ECONNREFUSED');
      const open = await graphql(bearer(issued.key), '{ version { service } }');
      expect(open.body).toEqual({ data: { version: { service: 'api' } } });
    } finally {
      delete (apiKeys as Partial<ApiKeyService>).authenticate;
    }
  });

  it('answers validation errors with a code and no server detail', async () => {
    const { status, body } = await graphql(undefined, '{ me { nope } }');
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });
});
