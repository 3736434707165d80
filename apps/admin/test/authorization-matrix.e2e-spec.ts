// The admin service's authorization matrix, derived from the running app (issue 7): every operation of its
// OpenAPI document plus every Fastify route outside it (Bull Board), against every wrong kind of credential
// (refused with 401 and its typed code, nothing changed, every attempt audited) and every admin role (the
// roles let through each operation must equal EXPECTED_ROLES, so a role change shows up in review). A new
// endpoint is enumerated automatically; it fails here until it is refused properly and listed below.
import { createHash, randomUUID } from 'node:crypto';
import { QueueName } from '@novation/jobs';
import { deleteQueueKeys } from '@novation/testing';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import type { DataSource } from 'typeorm';
import type { AdminRole } from '../src/auth/admin-role.js';
import { issueAdminToken } from '../src/auth/admin-token.js';
import { BOARD_SESSION_COOKIE, BOARD_WRITE_ROLE } from '../src/queues/board-auth.js';
import {
  ADMIN_ROLE_NAMES,
  HOUR_MS,
  SUBJECTS,
  badCredentials,
  refusals,
  startAdmin,
  type Harness,
} from './reference-data.harness.js';

/** Requests in flight at once: enough to finish quickly, few enough for two shared cores. */
const CONCURRENCY = 8;

/** Operations anyone may call. Every other operation must refuse a caller without an admin token. */
const PUBLIC_OPERATIONS = ['GET /health/live', 'GET /health/ready', 'GET /metrics', 'GET /v1/version'];

/** Swagger UI and the OpenAPI document (/docs, /docs/*, /docs-json, /docs-yaml): public, outside OpenAPI. */
function isDocs(pattern: string): boolean {
  return pattern === '/docs' || pattern.startsWith('/docs/') || pattern.startsWith('/docs-');
}

/** Bull Board's routes: registered on Fastify directly (not in OpenAPI), behind boardAuthHook. */
function isBoard(pattern: string): boolean {
  return pattern === '/queues' || pattern.startsWith('/queues/');
}

const READERS: readonly AdminRole[] = ['auditor', 'operations', 'risk-officer'];
const RISK: readonly AdminRole[] = ['risk-officer'];
const OPS: readonly AdminRole[] = ['operations'];

/**
 * The roles each operation lets through (every other role gets 403), in Fastify route syntax. Every
 * operation of OpenAPI must be listed; Bull Board routes not listed follow the board's rule (any role
 * reads, only BOARD_WRITE_ROLE changes queues), and the ones listed pin that rule down.
 */
const EXPECTED_ROLES: Readonly<Record<string, readonly AdminRole[]>> = {
  'GET /v1/parameter-sets': READERS,
  'POST /v1/parameter-sets': RISK,
  'POST /v1/parameter-sets/rollback': RISK,
  'GET /v1/parameter-sets/:id': READERS,
  'GET /v1/parameter-sets/:id/diff': READERS,
  'POST /v1/parameter-sets/:id/propose': RISK,
  'POST /v1/parameter-sets/:id/approve': RISK,
  'POST /v1/parameter-sets/:id/reject': RISK,
  'POST /v1/parameter-sets/:id/schedule': RISK,
  'POST /v1/parameter-sets/:id/cancel': RISK,
  'POST /v1/parameter-sets/:id/impact': RISK,
  'GET /v1/instruments': READERS,
  'POST /v1/instruments': OPS,
  'GET /v1/instruments/:id': READERS,
  'POST /v1/instruments/:id/status': OPS,
  'GET /v1/assets': READERS,
  'POST /v1/assets': OPS,
  'GET /v1/assets/:code': READERS,
  'PUT /v1/assets/:code/price-source': OPS,
  'GET /v1/member-firms': READERS,
  'POST /v1/member-firms': OPS,
  'GET /v1/member-firms/:id': READERS,
  'GET /v1/member-firms/:id/accounts': READERS,
  'POST /v1/member-firms/:id/accounts': OPS,
  'POST /v1/member-firms/:id/suspend': OPS,
  'POST /v1/member-firms/:id/reactivate': OPS,
  'POST /v1/member-firms/:id/declare-default': RISK,
  'GET /v1/api-keys': READERS,
  'POST /v1/api-keys': OPS,
  'GET /v1/api-keys/:id': READERS,
  'POST /v1/api-keys/:id/rotate': OPS,
  'POST /v1/api-keys/:id/revoke': OPS,
  'GET /v1/default-resources': READERS,
  'GET /v1/default-resources/default-fund/members': READERS,
  'PUT /v1/default-resources/default-fund/requirements/:memberFirmId': RISK,
  'POST /v1/default-resources/insurance-fund/top-ups': RISK,
  'POST /v1/default-resources/default-fund/contributions': RISK,
  'POST /v1/reports/backtests/runs': RISK,
  'GET /v1/reports/backtests': READERS,
  'GET /v1/reports/backtests/:id': READERS,
  'GET /v1/reports/stress': READERS,
  'GET /v1/reports/failed-jobs': READERS,
  'GET /v1/reports/failed-outbox-events': READERS,
  // Opening a board session changes nothing but a cookie; an auditor's session stays read-only.
  'POST /queues/session': READERS,
  'GET /queues': READERS,
  'GET /queues/api/queues': READERS,
  'PUT /queues/api/queues/:queueName/pause': OPS,
};

/** Writes (non-GET) an auditor may call, each with why: every other write must refuse auditors. */
const AUDITOR_WRITES = ['POST /queues/session'];

interface Operation {
  readonly method: string;
  readonly pattern: string;
  /** Behind boardAuthHook (Fastify) rather than AdminAuthGuard (Nest). */
  readonly board: boolean;
}

const keyOf = (operation: Pick<Operation, 'method' | 'pattern'>): string => `${operation.method} ${operation.pattern}`;

interface Credential {
  readonly name: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly code: string;
  /** Where the credential is wrong: a board session cookie is valid on the board, nowhere else. */
  readonly scope: 'all' | 'nest' | 'board';
  /** What must never appear in the audit log. */
  readonly secret?: string | undefined;
}

interface Answer {
  readonly status: number;
  readonly code: string | undefined;
}

/** Runs `run` over `items` with at most CONCURRENCY in flight; results in input order. */
async function inPool<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, lane));
  return results;
}

/**
 * Every route Fastify serves, from its route tree (`printRoutes({commonPrefix: false})`: one node a line,
 * four characters of indentation a level, methods in parentheses). HEAD is left out: Fastify derives it
 * from GET, through the same hooks and guard.
 */
function fastifyOperations(tree: string): { method: string; pattern: string }[] {
  const operations: { method: string; pattern: string }[] = [];
  const prefixes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:│ {3}| {4})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?\s*$/.exec(line);
    if (match === null) continue;
    const depth = (match[1] as string).length / 4;
    prefixes.length = depth;
    const pattern = `${depth === 0 ? '' : prefixes[depth - 1]}${match[2]}`;
    prefixes[depth] = pattern;
    for (const method of (match[3] ?? '').split(', ')) {
      if (method !== '' && method !== 'HEAD') operations.push({ method, pattern });
    }
  }
  return operations;
}

/** The operations of an OpenAPI document, paths turned into Fastify syntax (`{id}` to `:id`). */
function openApiOperations(document: { paths: Record<string, Record<string, unknown>> }): string[] {
  const methods = new Set(['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace']);
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((method) => methods.has(method))
      .map((method) => `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
  );
}

/** One digest per table but audit_log, all tables of the schema: equal fingerprints mean nothing changed. */
async function databaseFingerprint(dataSource: DataSource): Promise<Record<string, string>> {
  const tables = (await dataSource.query(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'audit_log'
      ORDER BY table_name`,
  )) as { table_name: string }[];
  const digests: Record<string, string> = {};
  for (const { table_name: table } of tables) {
    const [row] = (await dataSource.query(
      `SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM "${table}" t`,
    )) as { digest: string }[];
    digests[table] = row?.digest ?? '';
  }
  return digests;
}

/** Every Redis key of this test's queue prefix with a digest of its value: catches a pause or a new job. */
async function queueFingerprint(redisUrl: string, prefix: string): Promise<Record<string, string>> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    const digests: Record<string, string> = {};
    for (const key of keys.sort()) {
      const dump = await redis.dumpBuffer(key);
      digests[key] = dump === null ? 'gone' : createHash('md5').update(dump).digest('hex');
    }
    return digests;
  } finally {
    redis.disconnect();
  }
}

describe('admin authorization matrix, every endpoint from the running app', () => {
  let harness: Harness;
  let credentials: Credential[];
  /** Matrix operations: every operation but the public ones. */
  let operations: Operation[];
  /** Bodies that would pass validation, so a leaked refusal would really write. */
  let validBodies: Record<string, unknown>;
  /** Path values naming real rows (refused calls) or nothing (allowed calls, so they change little). */
  let realValue: (name: string, pattern: string) => string;
  /** Which roles got through which operation, filled by both role tests. */
  const observed = new Map<string, Set<AdminRole>>();

  beforeAll(async () => {
    harness = await startAdmin();
    const { dataSource, config } = harness;
    const [demo] = (await dataSource.query(`SELECT body FROM risk_parameter_set WHERE version = 'demo-1'`)) as {
      body: Record<string, unknown>;
    }[];
    const draft = await harness.call<{ id: string }>('POST', '/v1/parameter-sets', harness.tokens['risk-officer'], {
      version: 'matrix-draft',
      body: demo?.body,
    });
    expect(draft.status).toBe(201);
    const [{ id: alpha }] = (await dataSource.query(`SELECT id FROM member_firm WHERE code = 'ALPHA'`)) as {
      id: string;
    }[];
    const [{ id: instrument }] = (await dataSource.query(`SELECT id FROM instrument ORDER BY symbol LIMIT 1`)) as {
      id: string;
    }[];

    // The harness's list (real member, venue and custody keys among them), and a few more wrong kinds.
    const base = await badCredentials(harness);
    const [{ id: apiKey }] = (await dataSource.query(`SELECT id FROM api_key ORDER BY created_at LIMIT 1`)) as {
      id: string;
    }[];
    const now = Date.now();
    const nowSeconds = Math.floor(now / 1_000);
    const memberRoleToken = await new SignJWT({ roles: ['member'] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('mallory')
      .setIssuer(config.adminToken.issuer)
      .setAudience(config.adminToken.audience)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + 600)
      .sign(new TextEncoder().encode(config.adminToken.secret));
    const operationsClaims = { subject: 'mallory', roles: ['operations'] as const, ttlSeconds: 600 };
    const session = await issueAdminToken(config.adminToken, { ...operationsClaims, nowEpochMs: now });
    const expiredSession = await issueAdminToken(config.adminToken, {
      ...operationsClaims,
      nowEpochMs: now - 2 * HOUR_MS,
    });
    const secretOf = (authorization: string | undefined): string | undefined => {
      const token = authorization?.replace(/^Bearer /, '');
      if (token === undefined) return undefined;
      // A member key's secret follows its 12-character public prefix; a JWT's claims are its second part.
      return token.startsWith('nov_') ? token.slice(17) : token.split('.')[1];
    };
    credentials = [
      ...base.map((credential): Credential => ({
        name: credential.name,
        headers: credential.authorization === undefined ? {} : { authorization: credential.authorization },
        code: credential.code,
        scope: 'all',
        secret: secretOf(credential.authorization),
      })),
      { name: 'garbage', headers: { authorization: 'Bearer not-a-token' }, code: 'MALFORMED_TOKEN', scope: 'all' },
      {
        name: 'basic auth',
        headers: { authorization: 'Basic b3R0bzpzZWNyZXQ=' },
        code: 'MALFORMED_TOKEN',
        scope: 'all',
      },
      {
        name: 'signed token without an admin role',
        headers: { authorization: `Bearer ${memberRoleToken}` },
        code: 'INVALID_CLAIMS',
        scope: 'all',
        secret: memberRoleToken.split('.')[1],
      },
      {
        // The board cookie authenticates /queues only; the Nest routes read the bearer header alone.
        name: 'valid board session cookie',
        headers: { cookie: `${BOARD_SESSION_COOKIE}=${session}` },
        code: 'MISSING_TOKEN',
        scope: 'nest',
        secret: session.split('.')[1],
      },
      {
        name: 'forged board session cookie',
        headers: { cookie: `${BOARD_SESSION_COOKIE}=not-a-token` },
        code: 'MALFORMED_TOKEN',
        scope: 'board',
      },
      {
        name: 'expired board session cookie',
        headers: { cookie: `${BOARD_SESSION_COOKIE}=${expiredSession}` },
        code: 'TOKEN_EXPIRED',
        scope: 'board',
        secret: expiredSession.split('.')[1],
      },
    ];

    realValue = (name, pattern) => {
      if (name === 'queueName') return QueueName.System;
      if (name === 'queueStatus') return 'failed';
      if (name === 'code' && pattern.startsWith('/v1/assets/')) return 'ETH';
      if (name === 'memberFirmId' || pattern.startsWith('/v1/member-firms/')) return alpha;
      if (pattern.startsWith('/v1/parameter-sets/')) return draft.body.id;
      if (pattern.startsWith('/v1/instruments/')) return instrument;
      if (pattern.startsWith('/v1/api-keys/')) return apiKey;
      return randomUUID();
    };
    const comment = { comment: 'authorization matrix' };
    const reason = { reason: 'authorization matrix' };
    validBodies = {
      'POST /v1/parameter-sets': { version: 'matrix-never', body: demo?.body },
      'POST /v1/parameter-sets/rollback': reason,
      'POST /v1/parameter-sets/:id/propose': comment,
      'POST /v1/parameter-sets/:id/approve': comment,
      'POST /v1/parameter-sets/:id/reject': comment,
      'POST /v1/parameter-sets/:id/cancel': comment,
      'POST /v1/parameter-sets/:id/schedule': { effectiveFrom: new Date(now + HOUR_MS).toISOString() },
      'POST /v1/parameter-sets/:id/impact': { limit: 1 },
      'POST /v1/instruments': {
        symbol: 'NEVER-PERP',
        kind: 'perpetual',
        settlementType: 'linear',
        underlying: 'BTC-USD',
        quoteAsset: 'USDC',
        settlementAsset: 'USDC',
        contractSize: '1',
      },
      'POST /v1/instruments/:id/status': { status: 'delisted', ...reason },
      'POST /v1/assets': { code: 'NEVER', name: 'n', scale: 2 },
      'PUT /v1/assets/:code/price-source': { priceIndex: 'ETH-USD', priceSource: 'f' },
      'POST /v1/member-firms': { code: 'NEVER', name: 'n' },
      'POST /v1/member-firms/:id/accounts': { code: 'never', kind: 'cross', settlementAsset: 'USDC' },
      'POST /v1/member-firms/:id/suspend': reason,
      'POST /v1/member-firms/:id/reactivate': reason,
      'POST /v1/member-firms/:id/declare-default': reason,
      'POST /v1/api-keys': { role: 'custody', label: 'never' },
      'POST /v1/api-keys/:id/rotate': {},
      'POST /v1/api-keys/:id/revoke': {},
      'PUT /v1/default-resources/default-fund/requirements/:memberFirmId': { asset: 'USDC', requiredAmount: '1' },
      'POST /v1/default-resources/insurance-fund/top-ups': {
        idempotencyKey: 'matrix-0001',
        asset: 'USDC',
        amount: '1',
        source: 'custody',
      },
      'POST /v1/default-resources/default-fund/contributions': {
        idempotencyKey: 'matrix-0002',
        memberFirmId: alpha,
        asset: 'USDC',
        amount: '1',
      },
      'POST /v1/reports/backtests/runs': { businessDate: new Date(now - 48 * HOUR_MS).toISOString().slice(0, 10) },
    };
  });

  afterAll(async () => {
    const config = harness?.config;
    await harness?.close();
    if (config !== undefined) await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
  });

  /**
   * Fills a route pattern's parameters. `*` is a static-file wildcard: find-my-way prints
   * `/queues/static/*` (Bull Board's assets) as `/queues/*`, so it gets a missing file under `static/`.
   */
  function pathOf(pattern: string, value: (name: string, pattern: string) => string): string {
    return pattern
      .replace(/:([A-Za-z0-9_]+)/g, (_match, name: string) => encodeURIComponent(value(name, pattern)))
      .replace(/\*$/, 'static/matrix-missing.txt');
  }

  /** Values that name nothing: an allowed call then ends in 404 after validation, and changes little. */
  function inertValue(name: string): string {
    if (name === 'queueName') return 'matrix-no-such-queue';
    if (name === 'queueStatus') return 'failed';
    if (name === 'code') return 'ZZZ';
    return randomUUID();
  }

  async function send(
    method: string,
    path: string,
    headers: Readonly<Record<string, string>>,
    body: unknown,
  ): Promise<Answer> {
    const withBody = method !== 'GET' && method !== 'HEAD';
    const response = await fetch(`${harness.baseUrl}${path}`, {
      method,
      headers: withBody ? { ...headers, 'content-type': 'application/json' } : headers,
      ...(withBody ? { body: JSON.stringify(body ?? {}) } : {}),
    });
    const text = await response.text();
    let code: string | undefined;
    try {
      const parsed = JSON.parse(text) as { code?: unknown };
      code = typeof parsed?.code === 'string' ? parsed.code : undefined;
    } catch {
      code = undefined; // HTML, CSV, Prometheus text: no code to read
    }
    return { status: response.status, code };
  }

  function allowedRoles(operation: Operation): readonly AdminRole[] | undefined {
    const listed = EXPECTED_ROLES[keyOf(operation)];
    if (listed !== undefined || !operation.board) return listed;
    return operation.method === 'GET' ? READERS : [BOARD_WRITE_ROLE];
  }

  function record(operation: Operation, role: AdminRole, answer: Answer): void {
    const roles = observed.get(keyOf(operation)) ?? new Set<AdminRole>();
    if (answer.status !== 401 && answer.status !== 403) roles.add(role);
    observed.set(keyOf(operation), roles);
  }

  it('enumerates every operation; exactly the listed ones are public; every other one has expected roles', async () => {
    const document = await harness.call<{ paths: Record<string, Record<string, unknown>> }>(
      'GET',
      '/docs-json',
      undefined,
    );
    expect(document.status).toBe(200);
    const documented = openApiOperations(document.body);
    const fastify: FastifyInstance = harness.app.getHttpAdapter().getInstance();
    const served = fastifyOperations(fastify.printRoutes({ commonPrefix: false }));
    const servedKeys = new Set(served.map(keyOf));
    // The tree parses: everything OpenAPI documents is served, and the board sits where expected.
    expect(documented.filter((key) => !servedKeys.has(key))).toEqual([]);
    expect(documented.length).toBeGreaterThan(40);
    const undocumented = served.filter((operation) => !documented.includes(keyOf(operation)));
    // A route outside OpenAPI is only acceptable as Swagger UI or Bull Board (each has its own coverage).
    expect(
      undocumented.filter((operation) => !isDocs(operation.pattern) && !isBoard(operation.pattern)).map(keyOf),
    ).toEqual([]);

    // Public means: answers a caller without any credential. Ask the app, not the code.
    const candidates = [
      ...documented.map((key) => {
        const [method, pattern] = key.split(' ') as [string, string];
        return { method, pattern, board: false };
      }),
      ...undocumented.map((operation) => ({ ...operation, board: isBoard(operation.pattern) })),
    ];
    const anonymous = await inPool(candidates, (operation) =>
      send(operation.method, pathOf(operation.pattern, inertValue), {}, {}),
    );
    const open = candidates.filter((_operation, index) => anonymous[index]?.status !== 401).map(keyOf);
    expect(open.filter((key) => !isDocs(key.split(' ')[1] as string)).sort()).toEqual(PUBLIC_OPERATIONS);
    expect(open.filter((key) => isDocs(key.split(' ')[1] as string)).sort()).toEqual(
      undocumented
        .filter((operation) => isDocs(operation.pattern))
        .map(keyOf)
        .sort(),
    );
    for (const key of PUBLIC_OPERATIONS) {
      expect({ key, status: anonymous[candidates.findIndex((operation) => keyOf(operation) === key)]?.status }).toEqual(
        { key, status: 200 },
      );
    }

    operations = candidates.filter((operation) => !open.includes(keyOf(operation)));
    const keys = operations.map(keyOf);
    // Bull Board's own operations and the session endpoint are among them.
    for (const key of ['GET /queues', 'GET /queues/api/queues', 'PUT /queues/api/queues/:queueName/pause']) {
      expect(operations.find((operation) => keyOf(operation) === key)?.board).toBe(true);
    }
    expect(operations.find((operation) => keyOf(operation) === 'POST /queues/session')?.board).toBe(false);
    // Every guarded operation has an entry (add a new endpoint to EXPECTED_ROLES); no entry is stale.
    expect(operations.filter((operation) => allowedRoles(operation) === undefined).map(keyOf)).toEqual([]);
    expect(Object.keys(EXPECTED_ROLES).filter((key) => !keys.includes(key))).toEqual([]);
    expect(Object.keys(validBodies).filter((key) => !keys.includes(key))).toEqual([]);
    // Auditors read: every write but the listed exceptions refuses them.
    expect(
      operations
        .filter((operation) => operation.method !== 'GET' && allowedRoles(operation)?.includes('auditor'))
        .map(keyOf),
    ).toEqual(AUDITOR_WRITES);
  });

  it('refuses every operation for every bad credential and every role not allowed; nothing changes; all audited', async () => {
    const { dataSource, config } = harness;
    const databaseBefore = await databaseFingerprint(dataSource);
    expect(Object.keys(databaseBefore)).toEqual(expect.arrayContaining(['api_key', 'member_firm', 'posting']));
    const queuesBefore = await queueFingerprint(config.redis.url, config.redis.queuePrefix);
    const [{ count: auditBefore }] = (await dataSource.query(`SELECT count(*)::int AS count FROM audit_log`)) as {
      count: number;
    }[];
    const refusedBefore = (await refusals(dataSource)).length;

    interface Attempt {
      readonly operation: Operation;
      readonly who: string;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: unknown;
      readonly status: number;
      readonly code: string;
      readonly actor: string;
      readonly role?: AdminRole;
    }
    const attempts: Attempt[] = [];
    for (const operation of operations) {
      const valid = validBodies[keyOf(operation)];
      credentials
        .filter((credential) => credential.scope === 'all' || (credential.scope === 'board') === operation.board)
        .forEach((credential, index) => {
          attempts.push({
            operation,
            who: credential.name,
            headers: credential.headers,
            // Half the attempts carry a body that would be valid, half an empty one that would not: the
            // answer is the same 401, so authentication runs before validation and the body never matters.
            body: index % 2 === 0 && valid !== undefined ? valid : {},
            status: 401,
            code: credential.code,
            actor: 'anonymous',
          });
        });
      for (const role of ADMIN_ROLE_NAMES.filter((candidate) => !allowedRoles(operation)?.includes(candidate))) {
        attempts.push({
          operation,
          who: role,
          headers: { authorization: `Bearer ${harness.tokens[role]}` },
          body: valid ?? {},
          status: 403,
          code: 'FORBIDDEN_ROLE',
          actor: SUBJECTS[role],
          role,
        });
      }
    }
    const answers = await inPool(attempts, (attempt) =>
      send(attempt.operation.method, pathOf(attempt.operation.pattern, realValue), attempt.headers, attempt.body),
    );
    const wrong = attempts.flatMap((attempt, index) => {
      const answer = answers[index] as Answer;
      if (attempt.role !== undefined) record(attempt.operation, attempt.role, answer);
      return answer.status === attempt.status && answer.code === attempt.code
        ? []
        : [{ operation: keyOf(attempt.operation), who: attempt.who, expected: attempt.code, got: answer }];
    });
    expect(wrong).toEqual([]);
    expect(attempts.length).toBeGreaterThan(1_000);

    expect(await databaseFingerprint(dataSource)).toEqual(databaseBefore);
    expect(await queueFingerprint(config.redis.url, config.redis.queuePrefix)).toEqual(queuesBefore);

    // One auth.refused row per attempt, naming the route (the board's hook names its mount point), the
    // reason and the actor; and nothing else was audited.
    const rows = (await refusals(dataSource)).slice(refusedBefore);
    const [{ count: auditAfter }] = (await dataSource.query(`SELECT count(*)::int AS count FROM audit_log`)) as {
      count: number;
    }[];
    expect(auditAfter - auditBefore).toBe(attempts.length);
    expect(
      rows.map((row) => `${row.subjectId} | ${(row.details as { reason: string }).reason} | ${row.actor}`).sort(),
    ).toEqual(
      attempts
        .map(
          (attempt) =>
            `${attempt.operation.method} ${attempt.operation.board ? '/queues' : attempt.operation.pattern} | ${attempt.code} | ${attempt.actor}`,
        )
        .sort(),
    );
    expect(rows.every((row) => row.subjectType === 'http-route')).toBe(true);
    // No credential (nor the secret part of one) is ever written to the audit log.
    const written = JSON.stringify(rows);
    for (const credential of credentials) {
      if (credential.secret !== undefined)
        expect({ [credential.name]: written.includes(credential.secret) }).toEqual({
          [credential.name]: false,
        });
    }
  });

  it('lets exactly the expected roles through every operation, and the bodies sent above are valid', async () => {
    const attempts = operations.flatMap((operation) =>
      (allowedRoles(operation) ?? []).map((role) => ({ operation, role })),
    );
    const answers = await inPool(attempts, ({ operation, role }) =>
      send(
        operation.method,
        pathOf(operation.pattern, inertValue),
        { authorization: `Bearer ${harness.tokens[role]}` },
        validBodies[keyOf(operation)] ?? {},
      ),
    );
    const invalid: string[] = [];
    attempts.forEach(({ operation, role }, index) => {
      const answer = answers[index] as Answer;
      record(operation, role, answer);
      // Validation runs after the guard, so an allowed caller shows whether the body would have passed.
      if (validBodies[keyOf(operation)] !== undefined && answer.code === 'INVALID_REQUEST') {
        invalid.push(`${keyOf(operation)} as ${role}`);
      }
    });
    expect(invalid).toEqual([]);
    const table = (source: (operation: Operation) => readonly AdminRole[]) =>
      Object.fromEntries(operations.map((operation) => [keyOf(operation), [...source(operation)].sort()]));
    expect(table((operation) => [...(observed.get(keyOf(operation)) ?? [])])).toEqual(
      table((operation) => allowedRoles(operation) ?? []),
    );
  });
});
