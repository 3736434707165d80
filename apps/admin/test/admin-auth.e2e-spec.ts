import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import { AuditLogEntity, seedDemoMarket } from '@novation/persistence';
import { createTestDatabase, testConfig, type TestDatabase } from '@novation/testing';
import { SignJWT } from 'jose';
import { DataSource } from 'typeorm';
import { createAdminApp } from '../src/admin.app.js';
import { issueAdminToken } from '../src/auth/admin-token.js';

const HOUR_MS = 3_600_000;

interface Endpoint {
  readonly method: 'GET' | 'POST';
  readonly path: (id: string) => string;
  readonly write: boolean;
  readonly body?: unknown;
}

/** Every parameter-set endpoint, with a body that would be valid if the caller were allowed. */
const ENDPOINTS: readonly Endpoint[] = [
  { method: 'GET', path: () => '/v1/parameter-sets', write: false },
  { method: 'GET', path: (id) => `/v1/parameter-sets/${id}`, write: false },
  { method: 'GET', path: (id) => `/v1/parameter-sets/${id}/diff`, write: false },
  { method: 'POST', path: () => '/v1/parameter-sets', write: true, body: { version: 'never', body: {} } },
  { method: 'POST', path: (id) => `/v1/parameter-sets/${id}/propose`, write: true, body: {} },
  { method: 'POST', path: (id) => `/v1/parameter-sets/${id}/approve`, write: true, body: {} },
  { method: 'POST', path: (id) => `/v1/parameter-sets/${id}/reject`, write: true, body: {} },
  {
    method: 'POST',
    path: (id) => `/v1/parameter-sets/${id}/schedule`,
    write: true,
    body: { effectiveFrom: new Date(Date.now() + HOUR_MS).toISOString() },
  },
  { method: 'POST', path: (id) => `/v1/parameter-sets/${id}/impact`, write: true, body: {} },
  { method: 'POST', path: () => '/v1/parameter-sets/rollback', write: true, body: { reason: 'test' } },
];

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('admin authentication and authorization over HTTP', () => {
  let database: TestDatabase;
  let config: NovationConfig;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let baseUrl: string;
  let draftId: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({ DATABASE_URL: database.url });
    app = await createAdminApp(config);
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    dataSource = app.get(DataSource);
    await seedDemoMarket(dataSource, new Date(Date.now() - HOUR_MS));
    const now = Date.now();
    const claims = { subject: 'alice', roles: ['risk-officer'] as const, ttlSeconds: 600, nowEpochMs: now };
    tokens['officer'] = await issueAdminToken(config.adminToken, claims);
    tokens['auditor'] = await issueAdminToken(config.adminToken, { ...claims, subject: 'audrey', roles: ['auditor'] });
    tokens['operations'] = await issueAdminToken(config.adminToken, {
      ...claims,
      subject: 'otto',
      roles: ['operations'],
    });
    const draft = await call('POST', '/v1/parameter-sets', tokens['officer'], {
      version: 'auth-draft',
      body: (await dataSource.query(`SELECT body FROM risk_parameter_set WHERE version = 'demo-1'`))[0].body,
    });
    expect(draft.status).toBe(201);
    draftId = (draft.body as { id: string }).id;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  async function call(
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
    authorization?: string,
  ): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = {};
    if (authorization !== undefined) headers['authorization'] = authorization;
    else if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  }

  /** Credentials that must never get in, each with the code the refusal names. */
  async function badCredentials(): Promise<{ name: string; authorization: string | undefined; code: string }[]> {
    const now = Date.now();
    const settings = config.adminToken;
    const officer = { subject: 'mallory', roles: ['risk-officer'] as const, ttlSeconds: 600, nowEpochMs: now };
    const nowSeconds = Math.floor(now / 1_000);
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({
      sub: 'mallory',
      roles: ['risk-officer'],
      iss: settings.issuer,
      aud: settings.audience,
      iat: nowSeconds,
      exp: nowSeconds + 600,
    })}.`;
    const hs512 = await new SignJWT({ roles: ['risk-officer'] })
      .setProtectedHeader({ alg: 'HS512', typ: 'JWT' })
      .setSubject('mallory')
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + 600)
      .sign(new TextEncoder().encode(settings.secret));
    const tooLong = await new SignJWT({ roles: ['risk-officer'] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('mallory')
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + settings.ttlMaxSeconds + 3_600)
      .sign(new TextEncoder().encode(settings.secret));
    return [
      { name: 'no token', authorization: undefined, code: 'MISSING_TOKEN' },
      { name: 'alg none', authorization: `Bearer ${unsigned}`, code: 'UNSUPPORTED_ALGORITHM' },
      { name: 'wrong algorithm', authorization: `Bearer ${hs512}`, code: 'UNSUPPORTED_ALGORITHM' },
      {
        name: 'wrong audience',
        authorization: `Bearer ${await issueAdminToken({ ...settings, audience: 'novation-api' }, officer)}`,
        code: 'WRONG_AUDIENCE',
      },
      {
        name: 'wrong issuer',
        authorization: `Bearer ${await issueAdminToken({ ...settings, issuer: 'someone-else' }, officer)}`,
        code: 'WRONG_ISSUER',
      },
      {
        name: 'expired',
        authorization: `Bearer ${await issueAdminToken(settings, { ...officer, nowEpochMs: now - 2 * HOUR_MS })}`,
        code: 'TOKEN_EXPIRED',
      },
      {
        name: 'forged',
        authorization: `Bearer ${await issueAdminToken({ ...settings, secret: 'x'.repeat(48) }, officer)}`,
        code: 'INVALID_SIGNATURE',
      },
      { name: 'lifetime above the maximum', authorization: `Bearer ${tooLong}`, code: 'TOKEN_LIFETIME_TOO_LONG' },
      {
        name: 'member API key',
        authorization: 'Bearer nov_live_0123456789abcdef0123456789abcdef',
        code: 'MEMBER_API_KEY_REFUSED',
      },
      {
        name: 'bare member API key',
        authorization: 'nov_live_0123456789abcdef0123456789abcdef',
        code: 'MEMBER_API_KEY_REFUSED',
      },
      { name: 'garbage', authorization: 'Bearer not-a-token', code: 'MALFORMED_TOKEN' },
    ];
  }

  async function parameterSets(): Promise<unknown> {
    return dataSource.query(`SELECT * FROM risk_parameter_set ORDER BY version`);
  }

  async function refusals(): Promise<AuditLogEntity[]> {
    return dataSource.manager.find(AuditLogEntity, { where: { action: 'auth.refused' }, order: { id: 'ASC' } });
  }

  it('refuses every endpoint without a valid admin token, changes nothing and audits every attempt', async () => {
    const before = await parameterSets();
    const refusedBefore = (await refusals()).length;
    const credentials = await badCredentials();
    for (const endpoint of ENDPOINTS) {
      for (const credential of credentials) {
        const response = await call(
          endpoint.method,
          endpoint.path(draftId),
          undefined,
          endpoint.body,
          credential.authorization,
        );
        expect({
          endpoint: endpoint.path(':id'),
          credential: credential.name,
          status: response.status,
          body: response.body,
        }).toEqual({
          endpoint: endpoint.path(':id'),
          credential: credential.name,
          status: 401,
          body: expect.objectContaining({ code: credential.code }),
        });
      }
    }
    expect(await parameterSets()).toEqual(before);
    const rows = (await refusals()).slice(refusedBefore);
    expect(rows).toHaveLength(ENDPOINTS.length * credentials.length);
    for (const row of rows) {
      expect(row.actor).toBe('anonymous');
      expect(row.subjectType).toBe('http-route');
    }
    const reasons = new Set(rows.map((row) => (row.details as { reason: string }).reason));
    expect([...reasons].sort()).toEqual([...new Set(credentials.map((credential) => credential.code))].sort());
    // No token (or any part of one) is ever written to the audit log.
    const written = JSON.stringify(rows.map((row) => row.details));
    for (const credential of credentials) {
      const token = credential.authorization?.replace(/^Bearer /, '');
      if (token !== undefined && token.length > 20) expect(written).not.toContain(token.split('.')[1] ?? token);
    }
  });

  it('refuses the auditor and operations roles on every write with 403, and audits them by name', async () => {
    const before = await parameterSets();
    const refusedBefore = (await refusals()).length;
    const writes = ENDPOINTS.filter((endpoint) => endpoint.write);
    for (const role of ['auditor', 'operations']) {
      for (const endpoint of writes) {
        const response = await call(endpoint.method, endpoint.path(draftId), tokens[role], endpoint.body);
        expect({ endpoint: endpoint.path(':id'), role, status: response.status, body: response.body }).toEqual({
          endpoint: endpoint.path(':id'),
          role,
          status: 403,
          body: expect.objectContaining({ code: 'FORBIDDEN_ROLE' }),
        });
      }
    }
    expect(await parameterSets()).toEqual(before);
    const rows = (await refusals()).slice(refusedBefore);
    expect(rows).toHaveLength(writes.length * 2);
    expect(new Set(rows.map((row) => row.actor))).toEqual(new Set(['audrey', 'otto']));
    expect(rows.every((row) => (row.details as { reason: string }).reason === 'FORBIDDEN_ROLE')).toBe(true);
  });

  it('lets every admin role read', async () => {
    for (const role of ['auditor', 'operations', 'officer']) {
      for (const endpoint of ENDPOINTS.filter((candidate) => !candidate.write)) {
        const response = await call(endpoint.method, endpoint.path(draftId), tokens[role]);
        expect({ role, endpoint: endpoint.path(':id'), status: response.status }).toEqual({
          role,
          endpoint: endpoint.path(':id'),
          status: 200,
        });
      }
    }
  });

  it('keeps the version endpoint and the OpenAPI document public', async () => {
    expect((await call('GET', '/v1/version', undefined)).status).toBe(200);
    expect((await call('GET', '/docs-json', undefined)).status).toBe(200);
  });
});
