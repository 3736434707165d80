import { ApiKeyEntity, hashApiKeySecret, parseApiKey, secretMatches } from '@novation/persistence';
import {
  HOUR_MS,
  auditRows,
  expectAuthorizationMatrix,
  snapshot,
  startAdmin,
  type Endpoint,
  type Harness,
} from './reference-data.harness.js';

interface ApiKey {
  id: string;
  prefix: string;
  role: string;
  label: string;
  memberFirmId: string | null;
  venueId: string | null;
  state: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  key?: string;
  replacesKeyId?: string;
}
interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}
interface ErrorBody {
  statusCode: number;
  code: string;
  violations?: { field: string; message: string }[];
}

const KEY_FORMAT = /^nov_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/;
const MISSING_ID = '00000000-0000-4000-8000-000000000000';

describe('API keys over HTTP', () => {
  let harness: Harness;
  let alphaId: string;
  let bravoId: string;
  let venueId: string;
  let operations: string;
  let auditor: string;

  beforeAll(async () => {
    harness = await startAdmin();
    operations = harness.tokens.operations;
    auditor = harness.tokens.auditor;
    const firms = (await harness.dataSource.query(`SELECT id, code FROM member_firm ORDER BY code`)) as {
      id: string;
      code: string;
    }[];
    alphaId = firms.find((firm) => firm.code === 'ALPHA')?.id ?? '';
    bravoId = firms.find((firm) => firm.code === 'BRAVO')?.id ?? '';
    [{ id: venueId }] = (await harness.dataSource.query(`SELECT id FROM venue WHERE code = 'DEMO'`)) as {
      id: string;
    }[];
  });

  afterAll(async () => {
    await harness?.close();
  });

  const call = <T = ApiKey>(method: string, path: string, token: string, body?: unknown) =>
    harness.call<T>(method, path, token, body);

  /**
   * Whom a key authenticates as, by the rule the member API applies (apps/api ApiKeyService, over the same
   * @novation/persistence key functions): the firm code, the role for keys without a firm, or
   * UNAUTHENTICATED for an unknown, forged, revoked or expired key. Apps never import apps, so the rule
   * is restated here rather than booting the member API.
   */
  async function me(key: string): Promise<string> {
    const parsed = parseApiKey(key);
    if (parsed === null) return 'UNAUTHENTICATED';
    const row = await harness.dataSource.manager.findOneBy(ApiKeyEntity, { prefix: parsed.prefix });
    if (row === null || !secretMatches(parsed.secret, row.secretHash) || row.revokedAt !== null) {
      return 'UNAUTHENTICATED';
    }
    if (row.expiresAt !== null && row.expiresAt.getTime() <= Date.now()) return 'UNAUTHENTICATED';
    if (row.memberFirmId === null) return row.role;
    const [firm] = (await harness.dataSource.query(`SELECT code FROM member_firm WHERE id = $1`, [
      row.memberFirmId,
    ])) as { code: string }[];
    return firm?.code ?? 'none';
  }

  it('issues member, venue and custody keys once; stores only the hash; the member key names its firm', async () => {
    const expiresAt = new Date(Date.now() + 30 * 24 * HOUR_MS).toISOString();
    const member = await call('POST', '/v1/api-keys', operations, {
      role: 'member',
      memberFirmId: alphaId,
      label: 'desk 1',
      expiresAt,
    });
    expect(member.status).toBe(201);
    expect(member.body).toEqual({
      id: expect.any(String),
      key: expect.stringMatching(KEY_FORMAT),
      prefix: member.body.key?.slice(4, 16),
      role: 'member',
      label: 'desk 1',
      memberFirmId: alphaId,
      venueId: null,
      state: 'active',
      createdAt: expect.any(String),
      expiresAt,
      revokedAt: null,
      lastUsedAt: null,
    });
    const row = await harness.dataSource.manager.findOneByOrFail(ApiKeyEntity, { id: member.body.id });
    expect(row.secretHash).toBe(hashApiKeySecret(member.body.key?.slice(17) ?? ''));
    expect(await me(member.body.key ?? '')).toBe('ALPHA');

    const venue = await call('POST', '/v1/api-keys', operations, { role: 'venue', venueId, label: 'feed' });
    expect(venue.body).toMatchObject({ role: 'venue', venueId, memberFirmId: null, expiresAt: null });
    const custody = await call('POST', '/v1/api-keys', operations, { role: 'custody', label: 'custody bot' });
    expect(custody.body).toMatchObject({ role: 'custody', venueId: null, memberFirmId: null });

    // Reads never show a secret or its hash.
    const listed = await call<Page<ApiKey>>('GET', '/v1/api-keys', auditor);
    expect(listed.body.total).toBe(3);
    expect(listed.body.items.map((item) => item.label).sort()).toEqual(['custody bot', 'desk 1', 'feed']);
    const text =
      JSON.stringify(listed.body) + JSON.stringify((await call('GET', `/v1/api-keys/${member.body.id}`, auditor)).body);
    for (const issued of [member, venue, custody]) {
      expect(text).not.toContain(issued.body.key?.slice(17));
      expect(text).not.toContain(
        (await harness.dataSource.manager.findOneByOrFail(ApiKeyEntity, { id: issued.body.id })).secretHash,
      );
    }
    expect(text).not.toMatch(/"key"|secretHash|secret_hash/);

    const issuedAudit = await auditRows(harness.dataSource, 'api_key.issue');
    expect(issuedAudit).toEqual([
      {
        actor: 'otto',
        subjectType: 'api_key',
        subjectId: member.body.id,
        details: {
          role: 'member',
          label: 'desk 1',
          prefix: member.body.prefix,
          memberFirmId: alphaId,
          venueId: null,
          expiresAt,
        },
      },
      expect.objectContaining({ subjectId: venue.body.id }),
      expect.objectContaining({ subjectId: custody.body.id }),
    ]);
    expect(JSON.stringify(issuedAudit)).not.toContain(member.body.key?.slice(17));
  });

  it('filters and pages the list', async () => {
    await call('POST', '/v1/api-keys', operations, { role: 'member', memberFirmId: bravoId, label: 'bravo desk' });
    const alpha = await call<Page<ApiKey>>('GET', `/v1/api-keys?memberFirmId=${alphaId}`, auditor);
    expect(alpha.body.items.map((item) => item.label)).toEqual(['desk 1']);
    const members = await call<Page<ApiKey>>('GET', '/v1/api-keys?role=member&limit=1', auditor);
    expect(members.body).toMatchObject({ total: 2, limit: 1, offset: 0 });
    expect(members.body.items).toHaveLength(1);
    const venues = await call<Page<ApiKey>>(`GET`, `/v1/api-keys?venueId=${venueId}&state=active`, auditor);
    expect(venues.body.items.map((item) => item.label)).toEqual(['feed']);
    expect((await call<Page<ApiKey>>('GET', '/v1/api-keys?state=revoked', auditor)).body.total).toBe(0);
    for (const query of ['limit=500', 'role=root', 'state=old', 'memberFirmId=ALPHA']) {
      expect((await call<ErrorBody>('GET', `/v1/api-keys?${query}`, auditor)).body.code).toBe('INVALID_REQUEST');
    }
  });

  it('rotates atomically: a new secret with the same scope, the old key revoked and refused', async () => {
    const old = await call('POST', '/v1/api-keys', operations, {
      role: 'member',
      memberFirmId: bravoId,
      label: 'rotating',
    });
    expect(await me(old.body.key ?? '')).toBe('BRAVO');
    const rotated = await call('POST', `/v1/api-keys/${old.body.id}/rotate`, operations, { reason: 'quarterly' });
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({
      replacesKeyId: old.body.id,
      role: 'member',
      memberFirmId: bravoId,
      label: 'rotating',
      state: 'active',
      key: expect.stringMatching(KEY_FORMAT),
    });
    expect(rotated.body.key).not.toBe(old.body.key);
    expect(await me(rotated.body.key ?? '')).toBe('BRAVO');
    expect(await me(old.body.key ?? '')).toBe('UNAUTHENTICATED');
    const oldNow = await call('GET', `/v1/api-keys/${old.body.id}`, auditor);
    expect(oldNow.body).toMatchObject({ state: 'revoked', revokedAt: expect.any(String) });
    expect(await auditRows(harness.dataSource, 'api_key.rotate')).toEqual([
      { actor: 'otto', subjectType: 'api_key', subjectId: old.body.id, details: { replacedBy: rotated.body.id } },
    ]);
    // A revoked key cannot be rotated again: the second of two racing rotations finds it revoked.
    const before = await snapshot(harness.dataSource);
    const again = await call<ErrorBody>('POST', `/v1/api-keys/${old.body.id}/rotate`, operations, {});
    expect(again.body).toMatchObject({ statusCode: 409, code: 'API_KEY_NOT_ACTIVE' });
    expect(await snapshot(harness.dataSource)).toEqual(before);
    // Two concurrent rotations of one key: exactly one wins.
    const racing = await Promise.all([
      call<ErrorBody>('POST', `/v1/api-keys/${rotated.body.id}/rotate`, operations, {}),
      call<ErrorBody>('POST', `/v1/api-keys/${rotated.body.id}/rotate`, operations, {}),
    ]);
    expect(racing.map((response) => response.status).sort()).toEqual([201, 409]);
    const active = await call<Page<ApiKey>>('GET', `/v1/api-keys?memberFirmId=${bravoId}&state=active`, auditor);
    expect(active.body.items.map((item) => item.label).sort()).toEqual(['bravo desk', 'rotating']);
  });

  it('revokes at once, idempotently', async () => {
    const key = await call('POST', '/v1/api-keys', operations, { role: 'custody', label: 'to revoke' });
    expect(await me(key.body.key ?? '')).toBe('custody');
    const revoked = await call('POST', `/v1/api-keys/${key.body.id}/revoke`, operations, { reason: 'leaked' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: key.body.id, state: 'revoked', revokedAt: expect.any(String) });
    expect(revoked.body).not.toHaveProperty('key');
    expect(await me(key.body.key ?? '')).toBe('UNAUTHENTICATED');
    const again = await call('POST', `/v1/api-keys/${key.body.id}/revoke`, operations, {});
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
    expect((await auditRows(harness.dataSource, 'api_key.revoke')).map((row) => row.subjectId)).toEqual([key.body.id]);
    expect(await auditRows(harness.dataSource, 'api_key.revoke-reason')).toEqual([
      { actor: 'otto', subjectType: 'api_key', subjectId: key.body.id, details: { reason: 'leaked' } },
    ]);
  });

  it('refuses bad requests with typed codes and changes nothing', async () => {
    const before = await snapshot(harness.dataSource);
    const cases: [string, string, unknown, number, string, string?][] = [
      ['POST', '/v1/api-keys', { role: 'member', label: 'no firm' }, 400, 'INVALID_API_KEY_REQUEST', 'memberFirmId'],
      [
        'POST',
        '/v1/api-keys',
        { role: 'custody', memberFirmId: alphaId, label: 'x' },
        400,
        'INVALID_API_KEY_REQUEST',
        'memberFirmId',
      ],
      ['POST', '/v1/api-keys', { role: 'venue', label: 'no venue' }, 400, 'INVALID_API_KEY_REQUEST', 'venueId'],
      [
        'POST',
        '/v1/api-keys',
        { role: 'custody', label: 'late', expiresAt: new Date(Date.now() - 1_000).toISOString() },
        400,
        'INVALID_API_KEY_REQUEST',
        'expiresAt',
      ],
      ['POST', '/v1/api-keys', { role: 'admin', label: 'x' }, 400, 'INVALID_REQUEST', 'role'],
      ['POST', '/v1/api-keys', { role: 'custody', label: '' }, 400, 'INVALID_REQUEST', 'label'],
      [
        'POST',
        '/v1/api-keys',
        { role: 'member', memberFirmId: MISSING_ID, label: 'x' },
        404,
        'MEMBER_FIRM_NOT_FOUND',
        'memberFirmId',
      ],
      ['POST', '/v1/api-keys', { role: 'venue', venueId: MISSING_ID, label: 'x' }, 404, 'VENUE_NOT_FOUND', 'venueId'],
      ['POST', `/v1/api-keys/${MISSING_ID}/rotate`, {}, 404, 'API_KEY_NOT_FOUND'],
      ['POST', `/v1/api-keys/${MISSING_ID}/revoke`, {}, 404, 'API_KEY_NOT_FOUND'],
      ['POST', '/v1/api-keys/not-a-uuid/revoke', {}, 400, 'INVALID_REQUEST', 'id'],
      ['GET', `/v1/api-keys/${MISSING_ID}`, undefined, 404, 'API_KEY_NOT_FOUND'],
    ];
    for (const [method, path, body, status, code, field] of cases) {
      const response = await call<ErrorBody>(method, path, method === 'GET' ? auditor : operations, body);
      expect({
        path,
        body,
        status: response.status,
        code: response.body.code,
        fields: (response.body.violations ?? []).map((violation) => violation.field),
      }).toEqual({ path, body, status, code, fields: field === undefined ? [] : expect.arrayContaining([field]) });
    }
    expect(await snapshot(harness.dataSource)).toEqual(before);
  });

  it('refuses every key endpoint to wrong credentials and roles, changes nothing, audits each', async () => {
    const [{ id: keyId }] = (await harness.dataSource.query(
      `SELECT id FROM api_key WHERE revoked_at IS NULL AND label = 'feed'`,
    )) as { id: string }[];
    const endpoints: Endpoint[] = [
      { method: 'GET', path: '/v1/api-keys', roles: ['risk-officer', 'operations', 'auditor'] },
      { method: 'GET', path: `/v1/api-keys/${keyId}`, roles: ['risk-officer', 'operations', 'auditor'] },
      { method: 'POST', path: '/v1/api-keys', roles: ['operations'], body: { role: 'custody', label: 'never' } },
      { method: 'POST', path: `/v1/api-keys/${keyId}/rotate`, roles: ['operations'], body: {} },
      { method: 'POST', path: `/v1/api-keys/${keyId}/revoke`, roles: ['operations'], body: {} },
    ];
    await expectAuthorizationMatrix(harness, endpoints);
  });
});
