import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import { QueueName } from '@novation/jobs';
import { Decimal } from '@novation/money';
import {
  AccountEntity,
  AuditLogEntity,
  InstrumentEntity,
  MemberFirmEntity,
  VenueEntity,
  marginAccount,
  postJournalEntry,
  seedDemoMarket,
} from '@novation/persistence';
import { createTestDatabase, deleteQueueKeys, testConfig, type TestDatabase } from '@novation/testing';
import { Queue, Worker } from 'bullmq';
import { DataSource } from 'typeorm';
import { createAdminApp } from '../src/admin.app.js';
import { issueAdminToken } from '../src/auth/admin-token.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** BTC-PERP closing marks of days B-6 ... B (B = the business date). */
const CLOSES = ['100000', '99000', '89000', '90000', '81000', '82000', '82500'];

interface BacktestRow {
  id: string;
  accountId: string;
  product: string;
  observationCount: number;
  exceptionCount: number;
  coverageRatio: number;
  kupiecLikelihoodRatio: number;
  kupiecPValue: number;
  christoffersenIndependenceLikelihoodRatio: number | null;
  christoffersenConditionalCoverageLikelihoodRatio: number | null;
  trafficLight: string;
  trafficLightCumulativeProbability: number;
  inputsHash: string;
  observations?: { day: string; margin: string; loss: string; exception: boolean }[];
}

/** x ln y with 0 ln 0 = 0, for the hand-written likelihood ratios below. */
function xlog(count: number, probability: number): number {
  return count === 0 ? 0 : count * Math.log(probability);
}

describe('reports over HTTP', () => {
  let database: TestDatabase;
  let config: NovationConfig;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let baseUrl: string;
  let officer: string;
  let auditor: string;
  let businessDate: string;
  let alpha: string;
  let bravo: string;
  const days: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({ DATABASE_URL: database.url });
    app = await createAdminApp(config);
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    dataSource = app.get(DataSource);
    const now = Date.now();
    const today = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate());
    for (let offset = 7; offset >= 1; offset -= 1)
      days.push(new Date(today - offset * DAY_MS).toISOString().slice(0, 10));
    businessDate = days[6] as string;
    await seedDemoMarket(dataSource, new Date(today - 10 * DAY_MS));
    ({ alpha, bravo } = await seedBook(dataSource, days));
    await fundDefaultResources(dataSource);
    const roles = { ttlSeconds: 3_600, nowEpochMs: now };
    officer = await issueAdminToken(config.adminToken, { ...roles, subject: 'olivia', roles: ['risk-officer'] });
    auditor = await issueAdminToken(config.adminToken, { ...roles, subject: 'arthur', roles: ['auditor'] });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    if (config !== undefined) await deleteQueueKeys(config.redis.url, config.redis.queuePrefix);
  });

  async function call<T>(
    method: string,
    path: string,
    authorization: string | undefined,
    body?: unknown,
    accept?: string,
  ): Promise<{ status: number; body: T; text: string; headers: Headers }> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(authorization === undefined ? {} : { authorization }),
        ...(accept === undefined ? {} : { accept }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const isJson = response.headers.get('content-type')?.includes('json') === true;
    return {
      status: response.status,
      body: (isJson ? JSON.parse(text) : undefined) as T,
      text,
      headers: response.headers,
    };
  }

  it('backtests a hand-checked book: exceptions, Kupiec, Christoffersen, traffic light, per product', async () => {
    const run = await call<{ created: number; unchanged: number; conflicts: number }>(
      'POST',
      '/v1/reports/backtests/runs',
      `Bearer ${officer}`,
      { businessDate, lookbackDays: 6, confidence: 0.99 },
    );
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ created: 4, unchanged: 0, conflicts: 0 });

    const list = await call<{ items: BacktestRow[]; total: number }>(
      'GET',
      `/v1/reports/backtests?businessDate=${businessDate}&accountId=${alpha}&limit=10`,
      `Bearer ${auditor}`,
    );
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(2);
    const [whole, btc] = list.body.items;
    expect(whole?.product).toBe('*');
    expect(btc?.product).toBe('BTC-USD');

    // Long 2 BTC-PERP: IM = 2% x 2 x close; loss to the next close. Days 2 and 4 fall 10%: exceptions.
    const detail = await call<BacktestRow>('GET', `/v1/reports/backtests/${whole?.id}`, `Bearer ${auditor}`);
    expect(detail.body.observations?.map((row) => [row.margin, row.loss, row.exception])).toEqual([
      ['4000', '2000', false],
      ['3960', '20000', true],
      ['3560', '-2000', false],
      ['3600', '18000', true],
      ['3240', '-2000', false],
      ['3280', '-1000', false],
    ]);
    // The product's margin is recomputed from the receipt's inputs: one product, so the same figures.
    const product = await call<BacktestRow>('GET', `/v1/reports/backtests/${btc?.id}`, `Bearer ${auditor}`);
    expect(product.body.observations).toEqual(detail.body.observations);

    // Kupiec by hand: n = 6, x = 2, p = 0.01.
    const [n, x, p] = [6, 2, 0.01];
    const kupiec = -2 * (xlog(n - x, 1 - p) + xlog(x, p)) + 2 * (xlog(n - x, 1 - x / n) + xlog(x, x / n));
    // Transitions of [F, T, F, T, F, F]: n00 = 1, n01 = 2, n10 = 2, n11 = 0.
    const pi01 = 2 / 3;
    const pi = 2 / 5;
    const independence = -2 * (xlog(3, 1 - pi) + xlog(2, pi)) + 2 * (xlog(1, 1 - pi01) + xlog(2, pi01) + xlog(2, 1));
    // P(X <= 2) for Binomial(6, 0.01) = 0.99^6 + 6(0.01)(0.99^5) + 15(0.0001)(0.99^4) > 99.99%: red.
    const cumulative = 0.99 ** 6 + 6 * 0.01 * 0.99 ** 5 + 15 * 0.0001 * 0.99 ** 4;
    expect(detail.body).toMatchObject({ observationCount: 6, exceptionCount: 2, trafficLight: 'red' });
    expect(detail.body.coverageRatio).toBeCloseTo(4 / 6, 12);
    expect(detail.body.kupiecLikelihoodRatio).toBeCloseTo(kupiec, 9);
    expect(detail.body.christoffersenIndependenceLikelihoodRatio).toBeCloseTo(independence, 9);
    expect(detail.body.christoffersenConditionalCoverageLikelihoodRatio).toBeCloseTo(kupiec + independence, 9);
    expect(detail.body.trafficLightCumulativeProbability).toBeCloseTo(cumulative, 12);

    // The short side only loses on the rises (2000, 2000, 1000), always inside its margin.
    const short = await call<{ items: BacktestRow[] }>(
      'GET',
      `/v1/reports/backtests?accountId=${bravo}&product=*`,
      `Bearer ${auditor}`,
    );
    expect(short.body.items).toHaveLength(1);
    expect(short.body.items[0]).toMatchObject({ observationCount: 6, exceptionCount: 0, trafficLight: 'green' });
    expect(short.body.items[0]?.kupiecLikelihoodRatio).toBeCloseTo(-2 * xlog(6, 0.99), 9);
  });

  it('is idempotent per date: same inputs unchanged, changed inputs kept unless replaced (audited)', async () => {
    const body = { businessDate, lookbackDays: 6, confidence: 0.99 };
    const again = await call<{ created: number; unchanged: number }>(
      'POST',
      '/v1/reports/backtests/runs',
      `Bearer ${officer}`,
      body,
    );
    expect(again.body).toMatchObject({ created: 0, unchanged: 4 });

    // A late mark moves day B-1's close: the stored reports no longer match their inputs.
    const perp = await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'BTC-PERP' });
    const late = new Date(Date.parse(`${days[5]}T23:00:00Z`));
    await dataSource.query(
      `INSERT INTO mark_price (instrument_id, price, implied_volatility, observed_at, source) VALUES ($1, '70000', NULL, $2, 'late')`,
      [perp.id, late],
    );
    const [before] = await dataSource.query(
      `SELECT inputs_hash FROM backtest_report WHERE account_id = $1 AND product = '*'`,
      [alpha],
    );
    const conflicted = await call<{ conflicts: number; unchanged: number; reports: { outcome: string }[] }>(
      'POST',
      '/v1/reports/backtests/runs',
      `Bearer ${officer}`,
      body,
    );
    expect(conflicted.body).toMatchObject({ conflicts: 4, unchanged: 0 });
    const [kept] = await dataSource.query(
      `SELECT inputs_hash FROM backtest_report WHERE account_id = $1 AND product = '*'`,
      [alpha],
    );
    expect(kept.inputs_hash).toBe(before.inputs_hash);

    const replaced = await call<{ replaced: number }>('POST', '/v1/reports/backtests/runs', `Bearer ${officer}`, {
      ...body,
      replace: true,
    });
    expect(replaced.body).toMatchObject({ replaced: 4 });
    const [after] = await dataSource.query(
      `SELECT inputs_hash, replaced_at, exception_count FROM backtest_report WHERE account_id = $1 AND product = '*'`,
      [alpha],
    );
    expect(after.inputs_hash).not.toBe(before.inputs_hash);
    expect(after.replaced_at).not.toBeNull();
    // Day B-2's loss is now 81000 -> 70000 on 2 BTC = 22000 > 3240, and day B-1 (70000 -> 82500) a gain.
    expect(after.exception_count).toBe(3);
    const audits = await dataSource.manager.findBy(AuditLogEntity, { action: 'backtest-report.run' });
    expect(audits).toHaveLength(4);
    expect(audits.at(-1)?.details).toMatchObject({ replace: true, replaced: 4 });
  });

  it('downloads CSV by query or Accept header', async () => {
    const csv = await call<unknown>(
      'GET',
      `/v1/reports/backtests?businessDate=${businessDate}&format=csv`,
      `Bearer ${auditor}`,
    );
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe(
      'id,businessDate,accountId,memberFirmId,product,marginAsset,lookbackDays,confidence,observationCount,' +
        'exceptionCount,coverageRatio,kupiecLikelihoodRatio,kupiecPValue,christoffersenIndependencePValue,' +
        'christoffersenConditionalCoveragePValue,trafficLight,inputsHash',
    );
    expect(lines).toHaveLength(5);
    const list = await call<{ items: BacktestRow[] }>(
      'GET',
      `/v1/reports/backtests?accountId=${alpha}&product=*`,
      `Bearer ${auditor}`,
    );
    const one = await call<unknown>(
      'GET',
      `/v1/reports/backtests/${list.body.items[0]?.id}`,
      `Bearer ${auditor}`,
      undefined,
      'text/csv',
    );
    const oneLines = one.text.trim().split('\n');
    expect(oneLines[0]).toBe('day,receiptId,margin,loss,exception');
    // After the replacement above: day B-2 now loses 81000 -> 70000, day B-1 gains 70000 -> 82500.
    expect(oneLines.slice(1).map((line) => line.split(',').filter((_, column) => column !== 1))).toEqual([
      [days[0], '4000', '2000', 'false'],
      [days[1], '3960', '20000', 'true'],
      [days[2], '3560', '-2000', 'false'],
      [days[3], '3600', '18000', 'true'],
      [days[4], '3240', '22000', 'true'],
      [days[5], '3280', '-25000', 'false'],
    ]);
  });

  it('stress-tests every member: cover 2 against the ledger default resources', async () => {
    const stress = await call<{
      defaultResources: { total: string; defaultFund: string; insuranceFund: string; ccpCapital: string };
      worstScenarioName: string;
      coverTwoLoss: string;
      coverTwoPassed: boolean;
      members: { memberFirmId: string; uncoveredLoss: string }[];
      memberTotal: number;
    }>('GET', '/v1/reports/stress?limit=1', `Bearer ${auditor}`);
    expect(stress.status).toBe(200);
    expect(stress.body.defaultResources).toEqual({
      defaultFund: '1000000',
      insuranceFund: '500000',
      ccpCapital: '250000',
      total: '1750000',
    });
    // Both sides hold 2 BTC at 82500 with IM 3280 (last receipt): a 50% move loses 82500, 79220 beyond
    // margin; the two -/+50% scenarios tie and the name decides (all-down-50). One member loses in each.
    expect(stress.body.worstScenarioName).toBe('all-down-50');
    expect(stress.body.coverTwoLoss).toBe('79220');
    expect(stress.body.coverTwoPassed).toBe(true);
    expect(stress.body.memberTotal).toBe(3);
    expect(stress.body.members).toHaveLength(1);
    const alphaFirm = (await dataSource.manager.findOneByOrFail(AccountEntity, { id: alpha })).memberFirmId;
    expect(stress.body.members[0]).toMatchObject({ memberFirmId: alphaFirm, uncoveredLoss: '79220' });
    const csv = await call<unknown>('GET', '/v1/reports/stress?format=csv', `Bearer ${auditor}`);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe(
      'scenario,memberFirmId,stressLoss,marginHeld,uncoveredLoss,coverTwoLoss,defaultResources,coverTwoPassed',
    );
    expect(lines).toHaveLength(1 + 4 * 3);
    expect(lines).toContain(`all-down-50,${alphaFirm},82500,3280,79220,79220,1750000,true`);
  });

  it('lists failed outbox events and failed jobs of every queue, JSON and CSV', async () => {
    await dataSource.query(
      `INSERT INTO outbox_event (kind, dedupe_key, payload, status, attempts, last_error)
       VALUES ('margin-check', 'e2e:failed:1', '{"accountIds": []}', 'failed', 5, 'gave up, "quoted", with comma')`,
    );
    const outbox = await call<{ items: { dedupeKey: string; lastError: string }[]; total: number }>(
      'GET',
      '/v1/reports/failed-outbox-events',
      `Bearer ${auditor}`,
    );
    expect(outbox.body).toMatchObject({ total: 1, items: [{ dedupeKey: 'e2e:failed:1', attempts: 5 }] });
    const outboxCsv = await call<unknown>('GET', '/v1/reports/failed-outbox-events?format=csv', `Bearer ${auditor}`);
    expect(outboxCsv.text).toContain('"gave up, ""quoted"", with comma"');

    const connection = { url: config.redis.url, maxRetriesPerRequest: null };
    const queue = new Queue(QueueName.Margin, { connection, prefix: config.redis.queuePrefix });
    const worker = new Worker(
      QueueName.Margin,
      async () => {
        throw new Error('e2e failure');
      },
      { connection, prefix: config.redis.queuePrefix },
    );
    try {
      await queue.add('check', { accountIds: [] }, { jobId: 'e2e-failed-1', attempts: 1 });
      for (let tries = 0; tries < 100 && (await queue.getFailedCount()) === 0; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await worker.close();
      await queue.close();
    }
    const jobs = await call<{
      items: { queue: string; id: string; failedReason: string }[];
      total: number;
      queues: string[];
    }>('GET', '/v1/reports/failed-jobs?limit=5', `Bearer ${auditor}`);
    expect(jobs.status).toBe(200);
    expect(jobs.body.queues).toEqual(Object.values(QueueName));
    expect(jobs.body).toMatchObject({
      total: 1,
      items: [{ queue: 'margin', id: 'e2e-failed-1', failedReason: 'e2e failure' }],
    });
    const offsetPast = await call<{ items: unknown[]; total: number }>(
      'GET',
      '/v1/reports/failed-jobs?offset=1',
      `Bearer ${auditor}`,
    );
    expect(offsetPast.body).toMatchObject({ items: [], total: 1 });
    const jobsCsv = await call<unknown>(
      'GET',
      '/v1/reports/failed-jobs?queue=margin',
      `Bearer ${auditor}`,
      undefined,
      'text/csv',
    );
    expect(jobsCsv.text.trim().split('\n')).toHaveLength(2);
    expect(jobsCsv.text).toContain('margin,e2e-failed-1,check,1,e2e failure');
    const unknown = await call<{ code: string }>('GET', '/v1/reports/failed-jobs?queue=nope', `Bearer ${auditor}`);
    expect(unknown).toMatchObject({ status: 400, body: { code: 'UNKNOWN_QUEUE' } });
  });

  it('refuses bad input with typed codes and storing nothing', async () => {
    const [{ n: before }] = await dataSource.query(`SELECT count(*)::int AS n FROM backtest_report`);
    const future = new Date(Date.now() + DAY_MS).toISOString().slice(0, 10);
    const cases: [unknown, number, string][] = [
      [{ businessDate: future }, 400, 'INVALID_BUSINESS_DATE'],
      [{ businessDate: '2026-02-30' }, 400, 'INVALID_BUSINESS_DATE'],
      [{ businessDate, lookbackDays: 251 }, 400, 'INVALID_REQUEST'],
      [{ businessDate, confidence: 0.5 }, 400, 'INVALID_REQUEST'],
      [{ businessDate, extra: 1 }, 400, 'INVALID_REQUEST'],
    ];
    for (const [body, status, code] of cases) {
      const response = await call<{ code: string }>('POST', '/v1/reports/backtests/runs', `Bearer ${officer}`, body);
      expect({ status: response.status, code: response.body.code }).toEqual({ status, code });
    }
    const missing = await call<{ code: string }>('GET', '/v1/reports/backtests/999999', `Bearer ${auditor}`);
    expect(missing).toMatchObject({ status: 404, body: { code: 'REPORT_NOT_FOUND' } });
    const badPage = await call<{ code: string }>('GET', '/v1/reports/backtests?limit=101', `Bearer ${auditor}`);
    expect(badPage).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });
    const [{ n: after }] = await dataSource.query(`SELECT count(*)::int AS n FROM backtest_report`);
    expect(after).toBe(before);
  });

  it('refuses anonymous callers, member API keys and the wrong role', async () => {
    for (const path of ['/v1/reports/backtests', '/v1/reports/stress', '/v1/reports/failed-jobs']) {
      const anonymous = await call<{ code: string }>('GET', path, undefined);
      expect(anonymous).toMatchObject({ status: 401, body: { code: 'MISSING_TOKEN' } });
      const member = await call<{ code: string }>('GET', path, 'Bearer nov_0123456789abcdef');
      expect(member).toMatchObject({ status: 401, body: { code: 'MEMBER_API_KEY_REFUSED' } });
    }
    const auditorRun = await call<{ code: string }>('POST', '/v1/reports/backtests/runs', `Bearer ${auditor}`, {
      businessDate,
    });
    expect(auditorRun).toMatchObject({ status: 403, body: { code: 'FORBIDDEN_ROLE' } });
  });
});

/**
 * ALPHA main long 2 BTC-PERP, BRAVO main short 2; one closing mark (and index) per day at 12:00 and one
 * receipt per account at 13:00 on each tested day (computed_at set to that time: the receipts the
 * margin pipeline would have written on those days).
 */
async function seedBook(dataSource: DataSource, days: readonly string[]): Promise<{ alpha: string; bravo: string }> {
  const perp = await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'BTC-PERP' });
  const venue = await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' });
  const mainOf = async (code: string): Promise<string> => {
    const firm = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code });
    return (await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId: firm.id, code: 'main' })).id;
  };
  const [alpha, bravo] = [await mainOf('ALPHA'), await mainOf('BRAVO')];
  const firstNoon = new Date(Date.parse(`${days[0]}T12:00:00Z`));
  const [trade] = await dataSource.query(
    `INSERT INTO trade (venue_id, venue_trade_id, instrument_id, buyer_account_id, seller_account_id, quantity, price,
                        buyer_fee, seller_fee, executed_at, payload_hash)
     VALUES ($1, 'e2e-reports-1', $2, $3, $4, 2, 100000, 0, 0, $5, repeat('0', 64)) RETURNING id`,
    [venue.id, perp.id, alpha, bravo, firstNoon],
  );
  for (const [accountId, quantity] of [
    [alpha, '2'],
    [bravo, '-2'],
  ] as const) {
    await dataSource.query(
      `INSERT INTO position (account_id, instrument_id, quantity, average_entry_price, last_trade_id) VALUES ($1, $2, $3, 100000, $4)`,
      [accountId, perp.id, quantity, trade.id],
    );
  }
  for (const [index, day] of days.entries()) {
    const noon = new Date(Date.parse(`${day}T12:00:00Z`));
    const close = CLOSES[index] as string;
    await dataSource.query(
      `INSERT INTO mark_price (instrument_id, price, implied_volatility, observed_at, source) VALUES ($1, $2, NULL, $3, 'e2e')`,
      [perp.id, close, noon],
    );
    for (const [underlying, price] of [
      ['BTC-USD', close],
      ['ETH-USD', '4000'],
    ] as const) {
      await dataSource.query(
        `INSERT INTO index_price (underlying, price, observed_at, source) VALUES ($1, $2, $3, 'e2e')`,
        [underlying, price, noon],
      );
    }
    if (index === days.length - 1) continue;
    for (const accountId of [alpha, bravo]) {
      const at = noon.getTime() + HOUR_MS;
      const outcome = await marginAccount(dataSource, accountId, at);
      await dataSource.query(`UPDATE margin_receipt SET computed_at = $1 WHERE id = $2`, [
        new Date(at),
        outcome.receiptId,
      ]);
    }
  }
  return { alpha, bravo };
}

/** Default fund 1,000,000, insurance fund 500,000 and CCP capital 250,000 USDC, from custody. */
async function fundDefaultResources(dataSource: DataSource): Promise<void> {
  await dataSource.transaction(async (manager) => {
    const custody = await manager.findOneByOrFail(AccountEntity, { houseRole: 'custody' });
    for (const [houseRole, amount] of [
      ['default_fund', '1000000'],
      ['insurance_fund', '500000'],
      ['ccp_capital', '250000'],
    ] as const) {
      const house = await manager.findOneByOrFail(AccountEntity, { houseRole });
      await postJournalEntry(manager, {
        idempotencyKey: `e2e:fund:${houseRole}`,
        kind: 'deposit',
        description: `e2e ${houseRole}`,
        postings: [
          { accountId: house.id, asset: 'USDC', amount: new Decimal(amount) },
          { accountId: custody.id, asset: 'USDC', amount: new Decimal(amount).negated() },
        ],
      });
    }
  });
}
