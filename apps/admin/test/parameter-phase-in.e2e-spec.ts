import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import {
  AccountEntity,
  AuditLogEntity,
  DEFAULT_LIQUIDATION_PARAMETERS,
  InstrumentEntity,
  MemberFirmEntity,
  VenueEntity,
  activeParameterSet,
  exportReceipt,
  marginAccount,
  seedDemoMarket,
  type ParameterSetBody,
} from '@novation/persistence';
import { replayMarginReceipt } from '@novation/risk';
import { createTestDatabase, testConfig, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { createAdminApp } from '../src/admin.app.js';
import { issueAdminToken } from '../src/auth/admin-token.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const workspaceRoot = fileURLToPath(new URL('../../..', import.meta.url));

interface PhaseIn {
  fromVersion: string;
  periodDays: number;
  endsAt: string;
  weight: string;
  versionNow: string;
}

interface ParameterSet {
  id: string;
  version: string;
  status: string;
  inEffect: boolean;
  effectiveFrom: string | null;
  phaseIn: PhaseIn | null;
  body: ParameterSetBody;
}

interface Refusal {
  code: string;
  message: string;
  violations?: { field: string; message: string }[];
}

/**
 * Linear phase-in and cancellation of scheduled parameter sets (issue 7 §2), over HTTP against a real
 * PostgreSQL, with the margin service (`marginAccount`) run at chosen instants of the phase-in.
 */
describe('parameter-set phase-in and cancellation over HTTP', () => {
  let database: TestDatabase;
  let config: NovationConfig;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let baseUrl: string;
  let alice: string;
  let bob: string;
  let demo: ParameterSet;
  let perpId: string;
  let alphaMain: string;
  let directory: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({ DATABASE_URL: database.url });
    app = await createAdminApp(config);
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    dataSource = app.get(DataSource);
    const now = Date.now();
    await seedDemoMarket(dataSource, new Date(now - DAY_MS));
    ({ perpId, alphaMain } = await seedMarketAndPositions(dataSource, now - 60_000));
    const officer = { roles: ['risk-officer'] as const, ttlSeconds: 3_600, nowEpochMs: now };
    alice = await issueAdminToken(config.adminToken, { ...officer, subject: 'alice' });
    bob = await issueAdminToken(config.adminToken, { ...officer, subject: 'bob' });
    const list = await call<{ items: ParameterSet[] }>('GET', '/v1/parameter-sets', alice);
    demo = list.body.items.find((item) => item.version === 'demo-1') as ParameterSet;
    expect(demo).toMatchObject({ status: 'active', inEffect: true, phaseIn: null });
    directory = mkdtempSync(join(tmpdir(), 'novation-phase-in-'));
  });

  afterAll(async () => {
    rmSync(directory, { recursive: true, force: true });
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

  /** demo-1 with every tier's initial margin fraction raised by `step` (2% -> 2% + step on the first tier). */
  function raisedTiers(step: number): ParameterSetBody {
    const body = structuredClone(demo.body);
    for (const tiers of Object.values(body.parameters.standard?.tiers ?? {})) {
      for (const tier of tiers) tier.initialMarginFraction = (Number(tier.initialMarginFraction) + step).toFixed(2);
    }
    return body;
  }

  /** Drafted by alice, approved by bob. */
  async function approvedSet(version: string, body: ParameterSetBody): Promise<ParameterSet> {
    const created = await call<ParameterSet>('POST', '/v1/parameter-sets', alice, { version, body });
    expect(created.status).toBe(201);
    expect((await call('POST', `/v1/parameter-sets/${created.body.id}/propose`, alice, {})).status).toBe(200);
    const approved = await call<ParameterSet>('POST', `/v1/parameter-sets/${created.body.id}/approve`, bob, {});
    expect(approved).toMatchObject({ status: 200, body: { status: 'approved', effectiveFrom: null, phaseIn: null } });
    return approved.body;
  }

  /** Margins ALPHA main (2 BTC-PERP long at 100,000) at `atMs` and returns its stored, exported receipt. */
  async function marginAlphaAt(atMs: number) {
    const outcome = await marginAccount(dataSource, alphaMain, atMs);
    const receipt = await exportReceipt(dataSource.manager, outcome.receiptId);
    return { outcome, receipt, tier: firstTier(receipt.parameters) };
  }

  function firstTier(parameters: unknown): unknown {
    return (parameters as { standard: { tiers: Record<string, unknown[]> } }).standard.tiers[perpId]?.[0];
  }

  let phased: ParameterSet;
  let effectiveFromMs: number;

  it('schedules a two-day phase-in and shows its state', async () => {
    phased = await approvedSet('phase-up', raisedTiers(0.02));
    effectiveFromMs = Date.now() + HOUR_MS;
    const scheduled = await call<ParameterSet>('POST', `/v1/parameter-sets/${phased.id}/schedule`, bob, {
      effectiveFrom: new Date(effectiveFromMs).toISOString(),
      phaseInDays: 2,
    });
    expect(scheduled.status).toBe(200);
    expect(scheduled.body).toMatchObject({
      status: 'approved',
      inEffect: false,
      effectiveFrom: new Date(effectiveFromMs).toISOString(),
      phaseIn: {
        fromVersion: 'demo-1',
        periodDays: 2,
        endsAt: new Date(effectiveFromMs + 2 * DAY_MS).toISOString(),
        weight: '0',
        versionNow: 'phase-up',
      },
    });
    expect((await call<ParameterSet>('GET', `/v1/parameter-sets/${phased.id}`, alice)).body.phaseIn).toEqual(
      scheduled.body.phaseIn,
    );
    const [audit] = await dataSource.manager.find(AuditLogEntity, {
      where: { subjectId: phased.id, action: 'parameter-set.scheduled' },
    });
    expect(audit?.details).toMatchObject({
      changes: {
        effectiveFrom: { from: null, to: new Date(effectiveFromMs).toISOString() },
        phaseIn: { from: null, to: { periodDays: 2, fromVersion: 'demo-1' } },
      },
      parameterChanges: {
        changes: expect.arrayContaining([
          expect.objectContaining({
            path: `parameters.standard.tiers.${perpId}.0.initialMarginFraction`,
            oldValue: '0.02',
            newValue: '0.04',
          }),
        ]),
      },
    });
  });

  it('margins with the old values before, interpolated ones during and the new ones after the phase-in', async () => {
    // 2 BTC-PERP at 100,000: notional 200,000 on the first tier, IM fraction 2% -> 4%, MM 1% throughout.
    const before = await marginAlphaAt(effectiveFromMs - 1);
    expect(before.receipt.parameterSetVersion).toBe('demo-1');
    expect(before.outcome.result).toMatchObject({ initialMargin: '4000', maintenanceMargin: '2000' });

    // First step (hour 0): w = 0, the old numbers under the new set's label.
    const start = await marginAlphaAt(effectiveFromMs);
    expect(start.receipt.parameterSetVersion).toBe('phase-up@phase-0');
    expect(start.outcome.result.initialMargin).toBe('4000');

    // Hour 1 of 48: 0.02 + 0.02 / 48 = 0.0204166... -> 0.02041667; 200,000 x 0.02041667 = 4,083.334.
    const firstHour = await marginAlphaAt(effectiveFromMs + HOUR_MS + 59_000);
    expect(firstHour.receipt.parameterSetVersion).toBe('phase-up@phase-0.020833');
    expect(firstHour.tier).toMatchObject({ initialMarginFraction: '0.02041667', maintenanceMarginFraction: '0.01' });
    expect(firstHour.outcome.result).toMatchObject({ initialMargin: '4083.334', maintenanceMargin: '2000' });

    // Halfway (hour 24 of 48): 0.03 exactly; IM 6,000.
    const midway = await marginAlphaAt(effectiveFromMs + DAY_MS);
    expect(midway.receipt.parameterSetVersion).toBe('phase-up@phase-0.5');
    expect(midway.tier).toMatchObject({ initialMarginFraction: '0.03' });
    expect(midway.outcome.result).toMatchObject({ initialMargin: '6000', maintenanceMargin: '2000' });
    const midwaySet = await activeParameterSet(dataSource.manager, effectiveFromMs + DAY_MS);
    expect(midwaySet).toMatchObject({
      id: phased.id,
      version: 'phase-up@phase-0.5',
      phaseIn: { setVersion: 'phase-up', fromVersion: 'demo-1', stepIndex: 24, stepCount: 48, weight: '0.5' },
    });

    // Last step (hour 47): 0.02 + 0.02 x 47/48 = 0.03958333...; the full set from the end of the period.
    const lastHour = await marginAlphaAt(effectiveFromMs + 2 * DAY_MS - 1);
    expect(lastHour.tier).toMatchObject({ initialMarginFraction: '0.03958333' });
    expect(lastHour.outcome.result.initialMargin).toBe('7916.666');
    const after = await marginAlphaAt(effectiveFromMs + 2 * DAY_MS);
    expect(after.receipt.parameterSetVersion).toBe('phase-up');
    expect(after.outcome.result).toMatchObject({ initialMargin: '8000', maintenanceMargin: '2000' });

    // Every receipt replays from its own inputs alone, knowing nothing of phase-in.
    for (const { receipt } of [before, start, firstHour, midway, lastHour, after]) {
      expect(replayMarginReceipt(receipt)).toEqual({ match: true });
    }
    // And with the published binary, as a member firm would.
    const path = join(directory, 'midway.json');
    writeFileSync(path, JSON.stringify(midway.receipt));
    const replay = spawnSync('npx', ['--no-install', 'novation-risk', 'replay', '--input', path], {
      cwd: workspaceRoot,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(replay.status).toBe(0);
    expect(JSON.parse(replay.stdout)).toEqual({ match: true });
  }, 180_000);

  it('previews the impact at an instant of the phase-in', async () => {
    const impact = await call<{
      version: string;
      activeVersion: string;
      accounts: { accountId: string; current?: { initialMargin: string }; proposed?: { initialMargin: string } }[];
    }>('POST', `/v1/parameter-sets/${phased.id}/impact`, bob, {
      at: new Date(effectiveFromMs + DAY_MS).toISOString(),
    });
    expect(impact.status).toBe(200);
    expect(impact.body).toMatchObject({ version: 'phase-up@phase-0.5', activeVersion: 'demo-1' });
    expect(impact.body.accounts.find((account) => account.accountId === alphaMain)).toMatchObject({
      current: { initialMargin: '4000' },
      proposed: { initialMargin: '6000' },
    });
    const full = await call<{ version: string }>('POST', `/v1/parameter-sets/${phased.id}/impact`, bob, {});
    expect(full.body.version).toBe('phase-up');
    const badInstant = await call<Refusal>('POST', `/v1/parameter-sets/${phased.id}/impact`, bob, { at: 'soon' });
    expect(badInstant).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });
  });

  it('refuses what would change the set a pending phase-in starts from', async () => {
    const other = await approvedSet('other', raisedTiers(0.01));
    const earlier = await call<Refusal>('POST', `/v1/parameter-sets/${other.id}/schedule`, bob, {
      effectiveFrom: new Date(effectiveFromMs - HOUR_MS / 2).toISOString(),
    });
    expect(earlier).toMatchObject({ status: 409, body: { code: 'PHASE_IN_CONFLICT' } });
    expect(earlier.body.message).toContain('phase-up phases in from demo-1');
    const rollback = await call<Refusal>('POST', '/v1/parameter-sets/rollback', bob, { reason: 'test' });
    expect(rollback).toMatchObject({ status: 409, body: { code: 'PHASE_IN_CONFLICT' } });
    expect((await call<ParameterSet>('GET', `/v1/parameter-sets/${other.id}`, alice)).body.effectiveFrom).toBeNull();
    // A set may still take over after the phase-in, without overlapping it if phased in itself.
    const overlapping = await call<Refusal>('POST', `/v1/parameter-sets/${other.id}/schedule`, bob, {
      effectiveFrom: new Date(effectiveFromMs + DAY_MS).toISOString(),
      phaseInDays: 1,
    });
    expect(overlapping).toMatchObject({ status: 409, body: { code: 'PHASE_IN_CONFLICT' } });
    expect(overlapping.body.message).toContain('phase-ins must not overlap');
  });

  it('refuses a phase-in between bodies of different structure, field by field, and bad periods', async () => {
    const reshapedBody = raisedTiers(0.01);
    reshapedBody.parameters.standard?.tiers[perpId]?.push({
      notionalFloor: '10000000',
      notionalCap: null,
      initialMarginFraction: '0.2',
      maintenanceMarginFraction: '0.1',
    });
    reshapedBody.liquidation = {
      ...DEFAULT_LIQUIDATION_PARAMETERS,
      ...reshapedBody.liquidation,
      deficitMode: 'auto-deleveraging',
    };
    reshapedBody.marginCall = { deadlineMs: reshapedBody.marginCall.deadlineMs * 2 };
    const reshaped = await approvedSet('reshaped', reshapedBody);
    const effectiveFrom = new Date(effectiveFromMs + 3 * DAY_MS).toISOString();
    const refused = await call<Refusal>('POST', `/v1/parameter-sets/${reshaped.id}/schedule`, bob, {
      effectiveFrom,
      phaseInDays: 7,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('PHASE_IN_STRUCTURE_MISMATCH');
    // The integer deadline may change (it switches at the end); the tier count and the deficit mode may not.
    expect(refused.body.violations).toEqual([
      {
        field: 'liquidation.deficitMode',
        message: '"default-waterfall" -> "auto-deleveraging": not numeric, must be equal to phase in',
      },
      {
        field: `parameters.standard.tiers.${perpId}`,
        message: 'has 4 entries, the set phased from has 3: lengths must match',
      },
    ]);
    for (const phaseInDays of [0, 91, 1.5]) {
      const bad = await call<Refusal>('POST', `/v1/parameter-sets/${reshaped.id}/schedule`, bob, {
        effectiveFrom,
        phaseInDays,
      });
      expect(bad).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });
      expect(bad.body.violations?.map((violation) => violation.field)).toContain('phaseInDays');
    }
    expect((await call<ParameterSet>('GET', `/v1/parameter-sets/${reshaped.id}`, alice)).body).toMatchObject({
      effectiveFrom: null,
      phaseIn: null,
    });
    // Without phase-in the same set switches at once: nothing to interpolate.
    const plain = await call<ParameterSet>('POST', `/v1/parameter-sets/${reshaped.id}/schedule`, bob, {
      effectiveFrom,
    });
    expect(plain).toMatchObject({ status: 200, body: { effectiveFrom, phaseIn: null } });
    expect((await call<ParameterSet>('POST', `/v1/parameter-sets/${reshaped.id}/cancel`, bob, {})).status).toBe(200);
  });

  it('cancels a scheduled phase-in before it takes effect', async () => {
    const cancelled = await call<ParameterSet>('POST', `/v1/parameter-sets/${phased.id}/cancel`, alice, {
      comment: 'market too volatile',
    });
    expect(cancelled).toMatchObject({
      status: 200,
      body: { status: 'approved', effectiveFrom: null, phaseIn: null, inEffect: false },
    });
    expect((await activeParameterSet(dataSource.manager, effectiveFromMs + DAY_MS)).version).toBe('demo-1');
    const again = await call<Refusal>('POST', `/v1/parameter-sets/${phased.id}/cancel`, alice, {});
    expect(again).toMatchObject({ status: 409, body: { code: 'INVALID_TRANSITION' } });
    const [audit] = await dataSource.manager.find(AuditLogEntity, {
      where: { subjectId: phased.id, action: 'parameter-set.schedule-cancelled' },
    });
    expect(audit).toMatchObject({
      actor: 'alice',
      details: {
        comment: 'market too volatile',
        changes: {
          effectiveFrom: { from: new Date(effectiveFromMs).toISOString(), to: null },
          phaseIn: { from: { periodDays: 2, fromVersion: 'demo-1' }, to: null },
        },
      },
    });
    const draft = await call<ParameterSet>('POST', '/v1/parameter-sets', alice, {
      version: 'draft-x',
      body: demo.body,
    });
    const notApproved = await call<Refusal>('POST', `/v1/parameter-sets/${draft.body.id}/cancel`, alice, {});
    expect(notApproved).toMatchObject({ status: 409, body: { code: 'INVALID_TRANSITION' } });
    const missing = await call<Refusal>(
      'POST',
      '/v1/parameter-sets/00000000-0000-4000-8000-000000000000/cancel',
      alice,
      {},
    );
    expect(missing).toMatchObject({ status: 404, body: { code: 'PARAMETER_SET_NOT_FOUND' } });
  });

  it('refuses to cancel once in effect; a set mid-phase-in rolls back by its own version', async () => {
    // The cancelled set is approved and unscheduled: it can be scheduled again without a new approval.
    const soonMs = Date.now() + 1_500;
    const scheduled = await call<ParameterSet>('POST', `/v1/parameter-sets/${phased.id}/schedule`, bob, {
      effectiveFrom: new Date(soonMs).toISOString(),
      phaseInDays: 1,
    });
    expect(scheduled).toMatchObject({ status: 200, body: { phaseIn: { fromVersion: 'demo-1', periodDays: 1 } } });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, soonMs - Date.now() + 50)));

    const refused = await call<Refusal>('POST', `/v1/parameter-sets/${phased.id}/cancel`, bob, {});
    expect(refused).toMatchObject({ status: 409, body: { code: 'ALREADY_IN_EFFECT' } });
    const inEffect = await call<ParameterSet>('GET', `/v1/parameter-sets/${phased.id}`, alice);
    expect(inEffect.body).toMatchObject({
      inEffect: true,
      effectiveFrom: new Date(soonMs).toISOString(),
      phaseIn: { weight: '0', versionNow: 'phase-up@phase-0' },
    });
    const rolledBack = await call<ParameterSet>('POST', '/v1/parameter-sets/rollback', bob, {
      reason: 'not now',
      expectedCurrentVersion: 'phase-up',
    });
    expect(rolledBack).toMatchObject({ status: 200, body: { version: 'demo-1', inEffect: true } });
    expect((await activeParameterSet(dataSource.manager, Date.now())).version).toBe('demo-1');
    const actions = await dataSource.manager.find(AuditLogEntity, {
      where: { subjectId: phased.id },
      order: { id: 'ASC' },
    });
    expect(actions.map((row) => row.action)).toEqual([
      'parameter-set.created',
      'parameter-set.proposed',
      'parameter-set.approved',
      'parameter-set.scheduled',
      'parameter-set.schedule-cancelled',
      'parameter-set.scheduled',
      'parameter-set.rolled-back',
    ]);
    expect(actions.at(-1)?.details).toMatchObject({
      withdrawnVersion: 'phase-up',
      withdrawnMidPhaseIn: 'phase-up@phase-0',
      reinstatedVersion: 'demo-1',
    });
  });

  it('documents the cancel endpoint in OpenAPI', async () => {
    const document = (await (await fetch(`${baseUrl}/docs-json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(document.paths['/v1/parameter-sets/{id}/cancel']?.['post']).toBeDefined();
  });
});

/** Index and mark prices at `atMs`, and 2 BTC-PERP long for ALPHA main, short for BRAVO main, at 100,000. */
async function seedMarketAndPositions(
  dataSource: DataSource,
  atMs: number,
): Promise<{ perpId: string; alphaMain: string }> {
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
     VALUES ($1, 'e2e-phase-1', $2, $3, $4, 2, 100000, 0, 0, $5, repeat('0', 64)) RETURNING id`,
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
  return { perpId: perp.id, alphaMain: buyer };
}
