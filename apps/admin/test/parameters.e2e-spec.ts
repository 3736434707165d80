import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import {
  AccountEntity,
  AuditLogEntity,
  InstrumentEntity,
  MemberFirmEntity,
  VenueEntity,
  activeParameterSet,
  buildMarginRequest,
  parseParameterSetBody,
  seedDemoMarket,
  type ParameterSetBody,
} from '@novation/persistence';
import { computeMargin } from '@novation/risk';
import { createTestDatabase, testConfig, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { createAdminApp } from '../src/admin.app.js';
import { issueAdminToken } from '../src/auth/admin-token.js';

const HOUR_MS = 3_600_000;

interface ParameterSet {
  id: string;
  version: string;
  status: string;
  inEffect: boolean;
  effectiveFrom: string | null;
  proposedBy: string | null;
  approvedBy: string | null;
  body: ParameterSetBody;
}

interface AccountImpact {
  accountId: string;
  accountCode: string;
  memberFirmCode: string;
  marginAsset: string;
  current?: { initialMargin: string; maintenanceMargin: string };
  proposed?: { initialMargin: string; maintenanceMargin: string };
  initialMarginChange?: string;
  error?: { code: string };
}

interface Impact {
  version: string;
  activeVersion: string;
  valuationEpochMs: number;
  accounts: AccountImpact[];
  memberFirms: { memberFirmCode: string; marginAsset: string; initialMarginChange: string; accounts: number }[];
  nextCursor: string | null;
}

describe('parameter-set governance over HTTP', () => {
  let database: TestDatabase;
  let config: NovationConfig;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let baseUrl: string;
  let alice: string;
  let bob: string;
  let demo: ParameterSet;

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({ DATABASE_URL: database.url });
    app = await createAdminApp(config);
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    dataSource = app.get(DataSource);
    const now = Date.now();
    await seedDemoMarket(dataSource, new Date(now - 24 * HOUR_MS));
    await seedMarketAndPositions(dataSource, now - 60_000);
    const officer = { roles: ['risk-officer'] as const, ttlSeconds: 3_600, nowEpochMs: now };
    alice = await issueAdminToken(config.adminToken, { ...officer, subject: 'alice' });
    bob = await issueAdminToken(config.adminToken, { ...officer, subject: 'bob' });
    const list = await call<{ items: ParameterSet[] }>('GET', '/v1/parameter-sets', alice);
    demo = list.body.items.find((item) => item.version === 'demo-1') as ParameterSet;
    expect(demo).toMatchObject({ status: 'active', inEffect: true });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  async function call<T>(
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  async function count(table: string): Promise<number> {
    const [row] = await dataSource.query(`SELECT count(*)::int AS n FROM ${table}`);
    return row.n;
  }

  /** demo-1 with every tier's initial margin fraction raised from 2% to 3% (and 5% to 6%, 10% to 11%). */
  function raisedTiers(): ParameterSetBody {
    const body = structuredClone(demo.body);
    for (const tiers of Object.values(body.parameters.standard?.tiers ?? {})) {
      for (const tier of tiers) tier.initialMarginFraction = String(Number(tier.initialMarginFraction) + 0.01);
    }
    return body;
  }

  it('runs the whole lifecycle: draft, refusals, impact, four eyes, scheduled activation, rollback', async () => {
    // 1. An invalid draft is refused field by field, and nothing is stored.
    const setsBefore = await count('risk_parameter_set');
    const auditBefore = await count('audit_log');
    const invalid = structuredClone(demo.body) as ParameterSetBody;
    invalid.parameters.assets['BTC'] = { scale: 8, initialHaircut: '0.01', maintenanceHaircut: '0.05' };
    invalid.parameters.historicalEs = {
      lookbackDays: 250,
      confidence: 0.95,
      measure: 'expected-shortfall',
      marginPeriodOfRiskDays: 2,
      horizonMethod: 'overlapping',
      filtering: { kind: 'none' },
      antiProcyclicality: { kind: 'buffer', bufferFraction: 0.1 },
      liquidity: {},
      maintenanceFactor: 0.8,
      volatilityFloor: 0.1,
    };
    const refused = await call<{ code: string; violations: { field: string; message: string }[] }>(
      'POST',
      '/v1/parameter-sets',
      alice,
      { version: 'bad-1', body: invalid },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('INVALID_PARAMETER_SET');
    expect(refused.body.violations.map((violation) => violation.field).sort()).toEqual([
      'parameters.assets.BTC.initialHaircut',
      'parameters.historicalEs.antiProcyclicality.bufferFraction',
      'parameters.historicalEs.confidence',
    ]);
    const malformed = await call<{ code: string; violations: { field: string }[] }>(
      'POST',
      '/v1/parameter-sets',
      alice,
      {
        version: 'bad-2',
        body: { ...demo.body, riskFreeRate: 3, marginCall: { deadlineMs: -1 }, surprise: true },
      },
    );
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('INVALID_PARAMETER_SET');
    expect(malformed.body.violations.map((violation) => violation.field)).toEqual(
      expect.arrayContaining(['riskFreeRate', 'marginCall.deadlineMs']),
    );
    const badRequest = await call<{ code: string }>('POST', '/v1/parameter-sets', alice, {
      version: 'has space',
      body: {},
    });
    expect(badRequest).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });
    expect(await count('risk_parameter_set')).toBe(setsBefore);
    expect(await count('audit_log')).toBe(auditBefore);

    // 2. A valid draft, and its diff against the set in effect.
    const created = await call<ParameterSet>('POST', '/v1/parameter-sets', alice, {
      version: 'tiers-up',
      body: raisedTiers(),
      basedOn: 'demo-1',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ version: 'tiers-up', status: 'draft', inEffect: false, proposedBy: null });
    const id = created.body.id;
    const duplicate = await call<{ code: string }>('POST', '/v1/parameter-sets', alice, {
      version: 'tiers-up',
      body: raisedTiers(),
    });
    expect(duplicate).toMatchObject({ status: 409, body: { code: 'VERSION_TAKEN' } });
    const diff = await call<{
      activeVersion: string;
      changes: { path: string; oldValue: unknown; newValue: unknown }[];
    }>('GET', `/v1/parameter-sets/${id}/diff`, alice);
    expect(diff.status).toBe(200);
    expect(diff.body.activeVersion).toBe('demo-1');
    expect(diff.body.changes.length).toBeGreaterThan(0);
    for (const change of diff.body.changes) {
      expect(change.path).toMatch(/^parameters\.standard\.tiers\.[0-9a-f-]+\.\d+\.initialMarginFraction$/);
    }
    expect(diff.body.changes).toContainEqual(expect.objectContaining({ oldValue: '0.02', newValue: '0.03' }));

    // 3. Impact preview: the numbers computeMargin gives for the same requests, paginated, largest first.
    const impact = await call<Impact>('POST', `/v1/parameter-sets/${id}/impact`, alice, {});
    expect(impact.status).toBe(200);
    expect(impact.body).toMatchObject({ version: 'tiers-up', activeVersion: 'demo-1', nextCursor: null });
    expect(impact.body.accounts).toHaveLength(5);
    expect(impact.body.accounts.filter((account) => account.error !== undefined)).toEqual([]);
    const draftSet = { id, version: 'tiers-up', effectiveFrom: new Date(), body: parseParameterSetBody(raisedTiers()) };
    const active = await activeParameterSet(dataSource.manager, impact.body.valuationEpochMs);
    for (const account of impact.body.accounts) {
      const at = impact.body.valuationEpochMs;
      const current = computeMargin(
        await buildMarginRequest(dataSource.manager, account.accountId, at, { parameterSet: active }),
      );
      const proposed = computeMargin(
        await buildMarginRequest(dataSource.manager, account.accountId, at, { parameterSet: draftSet }),
      );
      expect(account.current).toEqual({
        initialMargin: current.initialMargin,
        maintenanceMargin: current.maintenanceMargin,
      });
      expect(account.proposed).toEqual({
        initialMargin: proposed.initialMargin,
        maintenanceMargin: proposed.maintenanceMargin,
      });
    }
    // 2 BTC-PERP at 100,000: IM 2% -> 3% of 200,000 notional = 4,000 -> 6,000 for both sides.
    expect(
      impact.body.accounts
        .slice(0, 2)
        .map((account) => [account.memberFirmCode, account.initialMarginChange])
        .sort(),
    ).toEqual([
      ['ALPHA', '2000'],
      ['BRAVO', '2000'],
    ]);
    expect(
      impact.body.accounts.find((account) => account.memberFirmCode === 'ALPHA' && account.accountCode === 'main'),
    ).toMatchObject({
      current: { initialMargin: '4000' },
      proposed: { initialMargin: '6000' },
    });
    expect(impact.body.memberFirms[0]?.initialMarginChange).toBe('2000');
    expect(impact.body.memberFirms.at(-1)?.initialMarginChange).toBe('0');
    const pages: AccountImpact[] = [];
    let cursor: string | null | undefined;
    do {
      const page: { status: number; body: Impact } = await call<Impact>(
        'POST',
        `/v1/parameter-sets/${id}/impact`,
        alice,
        {
          limit: 2,
          ...(cursor === undefined || cursor === null ? {} : { cursor }),
        },
      );
      expect(page.body.accounts.length).toBeLessThanOrEqual(2);
      pages.push(...page.body.accounts);
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(pages.map((account) => account.accountId).sort()).toEqual(
      impact.body.accounts.map((account) => account.accountId).sort(),
    );
    const tooMany = await call<{ code: string }>('POST', `/v1/parameter-sets/${id}/impact`, alice, { limit: 10_000 });
    expect(tooMany).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });

    // 4. Propose; self-approval refused; a second officer approves.
    const approveDraft = await call<{ code: string }>('POST', `/v1/parameter-sets/${id}/approve`, bob, {});
    expect(approveDraft).toMatchObject({ status: 409, body: { code: 'INVALID_TRANSITION' } });
    const proposed = await call<ParameterSet>('POST', `/v1/parameter-sets/${id}/propose`, alice, {
      comment: 'tiers +1%',
    });
    expect(proposed).toMatchObject({ status: 200, body: { status: 'proposed', proposedBy: 'alice' } });
    const selfApproval = await call<{ code: string }>('POST', `/v1/parameter-sets/${id}/approve`, alice, {});
    expect(selfApproval).toMatchObject({ status: 403, body: { code: 'FOUR_EYES_VIOLATION' } });
    expect((await call<ParameterSet>('GET', `/v1/parameter-sets/${id}`, alice)).body).toMatchObject({
      status: 'proposed',
      approvedBy: null,
    });
    const approved = await call<ParameterSet>('POST', `/v1/parameter-sets/${id}/approve`, bob, {});
    expect(approved).toMatchObject({ status: 200, body: { status: 'approved', approvedBy: 'bob', inEffect: false } });

    // 5. Scheduled activation: not in effect before effectiveFrom, seen by activeParameterSet after.
    const past = await call<{ code: string }>('POST', `/v1/parameter-sets/${id}/schedule`, bob, {
      effectiveFrom: new Date(Date.now() - HOUR_MS).toISOString(),
    });
    expect(past).toMatchObject({ status: 400, body: { code: 'INVALID_EFFECTIVE_FROM' } });
    const effectiveFromMs = Date.now() + 2_000;
    const scheduled = await call<ParameterSet>('POST', `/v1/parameter-sets/${id}/schedule`, bob, {
      effectiveFrom: new Date(effectiveFromMs).toISOString(),
    });
    expect(scheduled).toMatchObject({ status: 200, body: { status: 'approved', inEffect: false } });
    expect((await activeParameterSet(dataSource.manager, effectiveFromMs - 1)).version).toBe('demo-1');
    expect((await activeParameterSet(dataSource.manager, effectiveFromMs)).version).toBe('tiers-up');
    expect((await activeParameterSet(dataSource.manager, effectiveFromMs + 24 * HOUR_MS)).version).toBe('tiers-up');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, effectiveFromMs - Date.now() + 50)));
    expect((await call<ParameterSet>('GET', `/v1/parameter-sets/${id}`, alice)).body.inEffect).toBe(true);

    // 6. Rollback: one action withdraws tiers-up and puts demo-1 back in effect.
    const conflict = await call<{ code: string }>('POST', '/v1/parameter-sets/rollback', bob, {
      reason: 'wrong tiers',
      expectedCurrentVersion: 'demo-1',
    });
    expect(conflict).toMatchObject({ status: 409, body: { code: 'ROLLBACK_CONFLICT' } });
    const rolledBack = await call<ParameterSet>('POST', '/v1/parameter-sets/rollback', bob, {
      reason: 'wrong tiers',
      expectedCurrentVersion: 'tiers-up',
    });
    expect(rolledBack).toMatchObject({ status: 200, body: { version: 'demo-1', inEffect: true } });
    expect((await activeParameterSet(dataSource.manager, Date.now())).version).toBe('demo-1');
    expect((await call<ParameterSet>('GET', `/v1/parameter-sets/${id}`, alice)).body).toMatchObject({
      status: 'superseded',
      inEffect: false,
    });
    const nothingLeft = await call<{ code: string }>('POST', '/v1/parameter-sets/rollback', bob, { reason: 'again' });
    expect(nothingLeft).toMatchObject({ status: 409, body: { code: 'NOTHING_TO_ROLL_BACK' } });

    // 7. Every state change (and the refused self-approval) is in the audit log, by actor.
    const audit = await dataSource.manager.find(AuditLogEntity, {
      where: { subjectType: 'risk_parameter_set', subjectId: id },
      order: { id: 'ASC' },
    });
    expect(audit.map((row) => [row.actor, row.action])).toEqual([
      ['alice', 'parameter-set.created'],
      ['alice', 'parameter-set.proposed'],
      ['alice', 'parameter-set.approval-refused'],
      ['bob', 'parameter-set.approved'],
      ['bob', 'parameter-set.scheduled'],
      ['bob', 'parameter-set.rolled-back'],
    ]);
    expect(audit[3]?.details).toMatchObject({
      changes: { status: { from: 'proposed', to: 'approved' }, approvedBy: { from: null, to: 'bob' } },
    });
    expect(audit[4]?.details).toMatchObject({
      changes: { effectiveFrom: { from: null, to: new Date(effectiveFromMs).toISOString() } },
    });
    expect(audit[5]?.details).toMatchObject({
      withdrawnVersion: 'tiers-up',
      reinstatedVersion: 'demo-1',
      reason: 'wrong tiers',
    });
  });

  it('rejects drafts once, and lists sets page by page', async () => {
    const created = await call<ParameterSet>('POST', '/v1/parameter-sets', alice, {
      version: 'to-reject',
      body: demo.body,
    });
    expect(created.status).toBe(201);
    const rejected = await call<ParameterSet>('POST', `/v1/parameter-sets/${created.body.id}/reject`, bob, {
      comment: 'no',
    });
    expect(rejected).toMatchObject({ status: 200, body: { status: 'rejected' } });
    const again = await call<{ code: string }>('POST', `/v1/parameter-sets/${created.body.id}/reject`, bob, {});
    expect(again).toMatchObject({ status: 409, body: { code: 'INVALID_TRANSITION' } });
    const page = await call<{ items: ParameterSet[]; total: number }>(
      'GET',
      '/v1/parameter-sets?limit=1&offset=0',
      alice,
    );
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(1);
    expect(page.body.total).toBeGreaterThanOrEqual(2);
    const rejectedOnly = await call<{ items: ParameterSet[] }>('GET', '/v1/parameter-sets?status=rejected', alice);
    expect(rejectedOnly.body.items.map((item) => item.version)).toContain('to-reject');
    expect((await call<{ code: string }>('GET', '/v1/parameter-sets?limit=1000', alice)).status).toBe(400);
    expect((await call<{ code: string }>('GET', '/v1/parameter-sets/not-a-uuid', alice)).body.code).toBe(
      'INVALID_REQUEST',
    );
    const missing = await call<{ code: string }>(
      'GET',
      '/v1/parameter-sets/00000000-0000-4000-8000-000000000000',
      alice,
    );
    expect(missing).toMatchObject({ status: 404, body: { code: 'PARAMETER_SET_NOT_FOUND' } });
  });

  it('documents the parameter-set endpoints in OpenAPI', async () => {
    const response = await fetch(`${baseUrl}/docs-json`);
    const document = (await response.json()) as { paths: Record<string, Record<string, unknown>> };
    for (const [path, method] of [
      ['/v1/parameter-sets', 'get'],
      ['/v1/parameter-sets', 'post'],
      ['/v1/parameter-sets/{id}', 'get'],
      ['/v1/parameter-sets/{id}/diff', 'get'],
      ['/v1/parameter-sets/{id}/propose', 'post'],
      ['/v1/parameter-sets/{id}/approve', 'post'],
      ['/v1/parameter-sets/{id}/reject', 'post'],
      ['/v1/parameter-sets/{id}/schedule', 'post'],
      ['/v1/parameter-sets/{id}/impact', 'post'],
      ['/v1/parameter-sets/rollback', 'post'],
    ] as const) {
      expect({ path, method, documented: document.paths[path]?.[method] !== undefined }).toEqual({
        path,
        method,
        documented: true,
      });
    }
  });
});

/** Index and mark prices at `atMs`, and 2 BTC-PERP long for ALPHA main, short for BRAVO main, at 100,000. */
async function seedMarketAndPositions(dataSource: DataSource, atMs: number): Promise<void> {
  const at = new Date(atMs);
  for (const [underlying, price] of [
    ['BTC-USD', '100000'],
    ['ETH-USD', '4000'],
  ] as const) {
    await dataSource.query(
      `INSERT INTO index_price (underlying, price, observed_at, source) VALUES ($1, $2, $3, 'test')`,
      [underlying, price, at],
    );
  }
  const perp = await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'BTC-PERP' });
  await dataSource.query(
    `INSERT INTO mark_price (instrument_id, price, implied_volatility, observed_at, source) VALUES ($1, '100000', NULL, $2, 'test')`,
    [perp.id, at],
  );
  const venue = await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' });
  const mainOf = async (code: string): Promise<string> => {
    const firm = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code });
    return (await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId: firm.id, code: 'main' })).id;
  };
  const [buyer, seller] = [await mainOf('ALPHA'), await mainOf('BRAVO')];
  const [trade] = await dataSource.query(
    `INSERT INTO trade (venue_id, venue_trade_id, instrument_id, buyer_account_id, seller_account_id, quantity, price,
                        buyer_fee, seller_fee, executed_at, payload_hash)
     VALUES ($1, 'e2e-1', $2, $3, $4, 2, 100000, 0, 0, $5, repeat('0', 64)) RETURNING id`,
    [venue.id, perp.id, buyer, seller, at],
  );
  for (const [accountId, quantity] of [
    [buyer, '2'],
    [seller, '-2'],
  ] as const) {
    await dataSource.query(
      `INSERT INTO position (account_id, instrument_id, quantity, average_entry_price, last_trade_id) VALUES ($1, $2, $3, 100000, $4)`,
      [accountId, perp.id, quantity, trade.id],
    );
  }
}
