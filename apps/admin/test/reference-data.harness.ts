// Shared by reference.e2e-spec.ts, api-keys.e2e-spec.ts and default-resources.e2e-spec.ts: a booted admin
// service on a fresh database with the demo market, admin tokens per role, and the authorization matrix.
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import { AuditLogEntity, VenueEntity, issueApiKey, seedDemoMarket } from '@novation/persistence';
import { createTestDatabase, testConfig, type TestDatabase } from '@novation/testing';
import { SignJWT } from 'jose';
import { DataSource } from 'typeorm';
import { createAdminApp } from '../src/admin.app.js';
import type { AdminRole } from '../src/auth/admin-role.js';
import { issueAdminToken } from '../src/auth/admin-token.js';

export const HOUR_MS = 3_600_000;
export const ADMIN_ROLE_NAMES: readonly AdminRole[] = ['risk-officer', 'operations', 'auditor'];

export interface Response<T> {
  readonly status: number;
  readonly body: T;
}

export interface Harness {
  readonly database: TestDatabase;
  readonly config: NovationConfig;
  readonly app: NestFastifyApplication;
  readonly dataSource: DataSource;
  readonly baseUrl: string;
  /** One token per admin role, subjects officer / otto / audrey. */
  readonly tokens: Record<AdminRole, string>;
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
    authorization?: string,
  ): Promise<Response<T>>;
  close(): Promise<void>;
}

export const SUBJECTS: Record<AdminRole, string> = { 'risk-officer': 'officer', operations: 'otto', auditor: 'audrey' };

export async function startAdmin(): Promise<Harness> {
  const database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url });
  const app = await createAdminApp(config);
  await app.listen(0, '127.0.0.1');
  const baseUrl = await app.getUrl();
  const dataSource = app.get(DataSource);
  await seedDemoMarket(dataSource, new Date(Date.now() - HOUR_MS));
  const now = Date.now();
  const tokens = {} as Record<AdminRole, string>;
  for (const role of ADMIN_ROLE_NAMES) {
    tokens[role] = await issueAdminToken(config.adminToken, {
      subject: SUBJECTS[role],
      roles: [role],
      ttlSeconds: 3_600,
      nowEpochMs: now,
    });
  }
  async function call<T>(
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
    authorization?: string,
  ): Promise<Response<T>> {
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
    return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T };
  }
  return {
    database,
    config,
    app,
    dataSource,
    baseUrl,
    tokens,
    call,
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export interface BadCredential {
  readonly name: string;
  readonly authorization: string | undefined;
  readonly code: string;
}

/**
 * Credentials that must never get in: real member, venue and custody API keys (valid on the member API),
 * no token, alg none, another algorithm, wrong audience and issuer, expired, forged, over-long lifetime.
 */
export async function badCredentials(harness: Harness): Promise<BadCredential[]> {
  const { config, dataSource } = harness;
  const now = Date.now();
  const settings = config.adminToken;
  const [{ id: alphaId }] = (await dataSource.query(`SELECT id FROM member_firm WHERE code = 'ALPHA'`)) as {
    id: string;
  }[];
  const venue = await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' });
  const keys = await dataSource.transaction(async (manager) => ({
    member: await issueApiKey(manager, { role: 'member', memberFirmId: alphaId, label: 'm' }, 'test', now),
    venue: await issueApiKey(manager, { role: 'venue', venueId: venue.id, label: 'v' }, 'test', now),
    custody: await issueApiKey(manager, { role: 'custody', label: 'c' }, 'test', now),
  }));
  const officer = {
    subject: 'mallory',
    roles: ['risk-officer', 'operations'] as const,
    ttlSeconds: 600,
    nowEpochMs: now,
  };
  const nowSeconds = Math.floor(now / 1_000);
  const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({
    sub: 'mallory',
    roles: ['risk-officer', 'operations'],
    iss: settings.issuer,
    aud: settings.audience,
    iat: nowSeconds,
    exp: nowSeconds + 600,
  })}.`;
  const signed = (algorithm: string, lifetimeSeconds: number): Promise<string> =>
    new SignJWT({ roles: ['risk-officer', 'operations'] })
      .setProtectedHeader({ alg: algorithm, typ: 'JWT' })
      .setSubject('mallory')
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + lifetimeSeconds)
      .sign(new TextEncoder().encode(settings.secret));
  return [
    { name: 'member API key', authorization: `Bearer ${keys.member.key}`, code: 'MEMBER_API_KEY_REFUSED' },
    { name: 'venue API key', authorization: `Bearer ${keys.venue.key}`, code: 'MEMBER_API_KEY_REFUSED' },
    { name: 'custody API key', authorization: `Bearer ${keys.custody.key}`, code: 'MEMBER_API_KEY_REFUSED' },
    { name: 'bare member API key', authorization: keys.member.key, code: 'MEMBER_API_KEY_REFUSED' },
    { name: 'no token', authorization: undefined, code: 'MISSING_TOKEN' },
    { name: 'alg none', authorization: `Bearer ${unsigned}`, code: 'UNSUPPORTED_ALGORITHM' },
    { name: 'wrong algorithm', authorization: `Bearer ${await signed('HS512', 600)}`, code: 'UNSUPPORTED_ALGORITHM' },
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
    {
      name: 'lifetime above the maximum',
      authorization: `Bearer ${await signed('HS256', settings.ttlMaxSeconds + 3_600)}`,
      code: 'TOKEN_LIFETIME_TOO_LONG',
    },
  ];
}

/** Every table these endpoints may write, in a stable order: equal snapshots mean nothing changed. */
const WRITTEN_TABLES = [
  'asset',
  'instrument',
  'member_firm',
  'account',
  'api_key',
  'journal_entry',
  'posting',
  'default_fund_requirement',
  'default_fund_contribution',
] as const;

export async function snapshot(dataSource: DataSource): Promise<Record<string, unknown>> {
  const tables: Record<string, unknown> = {};
  for (const table of WRITTEN_TABLES) {
    tables[table] = await dataSource.query(`SELECT * FROM ${table} ORDER BY 1`);
  }
  return tables;
}

export async function refusals(dataSource: DataSource): Promise<AuditLogEntity[]> {
  return dataSource.manager.find(AuditLogEntity, { where: { action: 'auth.refused' }, order: { id: 'ASC' } });
}

export interface Endpoint {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  /** Roles allowed; every other admin role is refused with 403. */
  readonly roles: readonly AdminRole[];
  /** A body that would be accepted from an allowed role. */
  readonly body?: unknown;
}

/**
 * For every endpoint: each bad credential is refused with 401 and its code, each admin role not allowed
 * with 403 FORBIDDEN_ROLE; nothing changes; every attempt is one auth.refused audit row naming the route.
 */
export async function expectAuthorizationMatrix(harness: Harness, endpoints: readonly Endpoint[]): Promise<void> {
  const credentials = await badCredentials(harness);
  const before = await snapshot(harness.dataSource);
  const refusedBefore = (await refusals(harness.dataSource)).length;
  const expected: { route: string; reason: string; actor: string }[] = [];
  for (const endpoint of endpoints) {
    for (const credential of credentials) {
      const response = await harness.call(
        endpoint.method,
        endpoint.path,
        undefined,
        endpoint.body,
        credential.authorization,
      );
      expect({
        endpoint: `${endpoint.method} ${endpoint.path}`,
        credential: credential.name,
        status: response.status,
        code: response.body['code'],
      }).toEqual({
        endpoint: `${endpoint.method} ${endpoint.path}`,
        credential: credential.name,
        status: 401,
        code: credential.code,
      });
      expected.push({ route: endpoint.method, reason: credential.code, actor: 'anonymous' });
    }
    for (const role of ADMIN_ROLE_NAMES.filter((candidate) => !endpoint.roles.includes(candidate))) {
      const response = await harness.call(endpoint.method, endpoint.path, harness.tokens[role], endpoint.body);
      expect({
        endpoint: `${endpoint.method} ${endpoint.path}`,
        role,
        status: response.status,
        code: response.body['code'],
      }).toEqual({
        endpoint: `${endpoint.method} ${endpoint.path}`,
        role,
        status: 403,
        code: 'FORBIDDEN_ROLE',
      });
      expected.push({ route: endpoint.method, reason: 'FORBIDDEN_ROLE', actor: SUBJECTS[role] });
    }
  }
  expect(await snapshot(harness.dataSource)).toEqual(before);
  const rows = (await refusals(harness.dataSource)).slice(refusedBefore);
  expect(
    rows.map((row) => ({
      route: row.subjectId.split(' ')[0],
      reason: (row.details as { reason: string }).reason,
      actor: row.actor,
    })),
  ).toEqual(expected);
  for (const row of rows) expect(row.subjectType).toBe('http-route');
  // No credential (or any part of one) is ever written to the audit log.
  const written = JSON.stringify(rows.map((row) => row.details));
  for (const credential of credentials) {
    const token = credential.authorization?.replace(/^Bearer /, '');
    if (token !== undefined)
      expect(written).not.toContain(token.startsWith('nov_') ? token.slice(17) : token.split('.')[1]);
  }
}

/** Audit rows of an action since a given id. */
export async function auditRows(
  dataSource: DataSource,
  action: string,
): Promise<{ actor: string; subjectType: string; subjectId: string; details: Record<string, unknown> }[]> {
  const rows = await dataSource.manager.find(AuditLogEntity, { where: { action }, order: { id: 'ASC' } });
  return rows.map((row) => ({
    actor: row.actor,
    subjectType: row.subjectType,
    subjectId: row.subjectId,
    details: row.details as Record<string, unknown>,
  }));
}
