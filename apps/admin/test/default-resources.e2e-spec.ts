import { Decimal } from '@novation/money';
import { postJournalEntry } from '@novation/persistence';
import {
  auditRows,
  expectAuthorizationMatrix,
  snapshot,
  startAdmin,
  type Endpoint,
  type Harness,
} from './reference-data.harness.js';

interface Fund {
  accountId: string;
  balances: { asset: string; balance: string }[];
}
interface Resources {
  insuranceFund: Fund;
  defaultFund: Fund;
  ccpCapital: Fund;
}
interface Movement {
  idempotencyKey: string;
  journalEntryId: string;
  replayed: boolean;
  asset: string;
  amount: string;
  source: string;
  destination: string;
  memberFirmId: string | null;
}
interface MemberPage {
  items: {
    memberFirmCode: string;
    memberFirmStatus: string;
    assets: { asset: string; requiredAmount: string; contributedAmount: string; shortfall: string }[];
  }[];
  total: number;
  limit: number;
  offset: number;
}
interface ErrorBody {
  statusCode: number;
  code: string;
  violations?: { field: string; message: string }[];
}

const MISSING_ID = '00000000-0000-4000-8000-000000000000';
const TOP_UPS = '/v1/default-resources/insurance-fund/top-ups';
const CONTRIBUTIONS = '/v1/default-resources/default-fund/contributions';
const requirementPath = (memberFirmId: string) => `/v1/default-resources/default-fund/requirements/${memberFirmId}`;

describe('default resources over HTTP: insurance fund, default fund, requirements', () => {
  let harness: Harness;
  let officer: string;
  let auditor: string;
  const firm: Record<string, string> = {};

  beforeAll(async () => {
    harness = await startAdmin();
    officer = harness.tokens['risk-officer'];
    auditor = harness.tokens.auditor;
    const rows = (await harness.dataSource.query(`SELECT id, code FROM member_firm`)) as { id: string; code: string }[];
    for (const row of rows) firm[row.code] = row.id;
  });

  afterAll(async () => {
    await harness?.close();
  });

  const call = <T = Movement>(method: string, path: string, token: string, body?: unknown) =>
    harness.call<T>(method, path, token, body);

  const resources = async (): Promise<Resources> =>
    (await call<Resources>('GET', '/v1/default-resources', auditor)).body;

  async function custodyBalance(asset: string): Promise<Decimal> {
    const [row] = (await harness.dataSource.query(
      `SELECT coalesce(sum(posting.amount), 0)::text AS balance FROM posting
         JOIN account ON account.id = posting.account_id
        WHERE account.house_role = 'custody' AND posting.asset = $1`,
      [asset],
    )) as { balance: string }[];
    return new Decimal(row?.balance ?? '0');
  }

  async function count(table: string): Promise<number> {
    const [row] = (await harness.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`)) as { n: number }[];
    return row?.n ?? 0;
  }

  it('starts with empty funds, read from postings', async () => {
    const start = await resources();
    expect(start.insuranceFund.balances).toEqual([]);
    expect(start.defaultFund.balances).toEqual([]);
    expect(start.ccpCapital.balances).toEqual([]);
    expect(start.insuranceFund.accountId).not.toBe(start.defaultFund.accountId);
  });

  it('tops up the insurance fund from custody: one balanced entry, replayed by key, conflicting body refused', async () => {
    const custodyBefore = await custodyBalance('USDC');
    const body = { idempotencyKey: 'if-topup-0001', asset: 'USDC', amount: '250000.50', source: 'custody' };
    const first = await call('POST', TOP_UPS, officer, body);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      idempotencyKey: 'if-topup-0001',
      journalEntryId: expect.any(String),
      replayed: false,
      asset: 'USDC',
      amount: '250000.5',
      source: 'custody',
      destination: 'insurance_fund',
      memberFirmId: null,
    });
    expect((await resources()).insuranceFund.balances).toEqual([{ asset: 'USDC', balance: '250000.5' }]);
    expect((await custodyBalance('USDC')).toFixed()).toBe(custodyBefore.minus('250000.5').toFixed());
    const postings = (await harness.dataSource.query(
      `SELECT account.house_role AS role, posting.asset, posting.amount::text AS amount FROM posting
         JOIN account ON account.id = posting.account_id WHERE journal_entry_id = $1 ORDER BY posting.amount`,
      [first.body.journalEntryId],
    )) as { role: string; asset: string; amount: string }[];
    expect(postings.map((posting) => [posting.role, posting.asset, new Decimal(posting.amount).toFixed()])).toEqual([
      ['custody', 'USDC', '-250000.5'],
      ['insurance_fund', 'USDC', '250000.5'],
    ]);
    const [entry] = (await harness.dataSource.query(`SELECT idempotency_key, kind FROM journal_entry WHERE id = $1`, [
      first.body.journalEntryId,
    ])) as { idempotency_key: string; kind: string }[];
    expect(entry).toEqual({
      idempotency_key: 'admin:insurance-fund-top-up:if-topup-0001',
      kind: 'insurance_fund.top_up',
    });

    // The same key and body: the same result, nothing moves, nothing more is audited.
    const before = await snapshot(harness.dataSource);
    const replay = await call('POST', TOP_UPS, officer, { ...body, amount: '250000.5' });
    expect(replay.body).toEqual({ ...first.body, replayed: true });
    expect(await snapshot(harness.dataSource)).toEqual(before);
    // The same key with another body is a typed conflict, and nothing moves.
    for (const changed of [{ amount: '250000.51' }, { source: 'ccp_capital' }, { asset: 'BTC', amount: '1' }]) {
      const conflict = await call<ErrorBody>('POST', TOP_UPS, officer, { ...body, ...changed });
      expect({ changed, status: conflict.status, code: conflict.body.code }).toEqual({
        changed,
        status: 409,
        code: 'IDEMPOTENCY_CONFLICT',
      });
    }
    expect(await snapshot(harness.dataSource)).toEqual(before);
    expect(await auditRows(harness.dataSource, 'insurance-fund.topped-up')).toEqual([
      {
        actor: 'officer',
        subjectType: 'account',
        subjectId: (await resources()).insuranceFund.accountId,
        details: { request: body, journalEntryId: first.body.journalEntryId },
      },
    ]);
  });

  it('tops up from CCP capital only what the capital holds', async () => {
    // The clearinghouse puts 1000 USDC of its own capital in (the test stands in for the treasury).
    await harness.dataSource.transaction(async (manager) => {
      const [custody, capital] = (await manager.query(
        `SELECT id FROM account WHERE house_role IN ('custody', 'ccp_capital') ORDER BY house_role = 'ccp_capital'`,
      )) as { id: string }[];
      await postJournalEntry(manager, {
        idempotencyKey: 'test:capital',
        kind: 'test.capital',
        description: 'capital',
        postings: [
          { accountId: capital?.id ?? '', asset: 'USDC', amount: new Decimal(1000) },
          { accountId: custody?.id ?? '', asset: 'USDC', amount: new Decimal(-1000) },
        ],
      });
    });
    const fromCapital = (idempotencyKey: string, amount: string) =>
      call<Movement & ErrorBody>('POST', TOP_UPS, officer, {
        idempotencyKey,
        asset: 'USDC',
        amount,
        source: 'ccp_capital',
      });
    const first = await fromCapital('if-capital-01', '400');
    expect(first.body).toMatchObject({ replayed: false, amount: '400', source: 'ccp_capital' });
    const before = await snapshot(harness.dataSource);
    const tooMuch = await fromCapital('if-capital-02', '600.000001');
    expect(tooMuch.body).toMatchObject({ statusCode: 409, code: 'INSUFFICIENT_FUNDS' });
    expect(await snapshot(harness.dataSource)).toEqual(before);
    expect((await fromCapital('if-capital-02', '600')).body).toMatchObject({ replayed: false, amount: '600' });
    // A replay after the capital is spent is still answered as a replay, not as insufficient funds.
    expect((await fromCapital('if-capital-01', '400')).body).toEqual({ ...first.body, replayed: true });
    const now = await resources();
    expect(now.ccpCapital.balances).toEqual([{ asset: 'USDC', balance: '0' }]);
    expect(now.insuranceFund.balances).toEqual([{ asset: 'USDC', balance: '251000.5' }]);
  });

  it('refuses bad top-ups with typed codes and changes nothing', async () => {
    const base = { idempotencyKey: 'if-bad-00001', asset: 'USDC', amount: '10', source: 'custody' };
    const cases: [Record<string, unknown>, number, string, string][] = [
      [{ amount: '0' }, 400, 'INVALID_AMOUNT', 'amount'],
      [{ amount: '1.0000001' }, 400, 'INVALID_AMOUNT', 'amount'],
      [{ amount: '-5' }, 400, 'INVALID_REQUEST', 'amount'],
      [{ amount: '1e3' }, 400, 'INVALID_REQUEST', 'amount'],
      [{ asset: 'XYZ' }, 404, 'ASSET_NOT_FOUND', 'asset'],
      [{ idempotencyKey: 'short' }, 400, 'INVALID_REQUEST', 'idempotencyKey'],
      [{ idempotencyKey: undefined }, 400, 'INVALID_REQUEST', 'idempotencyKey'],
      [{ source: 'fee_revenue' }, 400, 'INVALID_REQUEST', 'source'],
      [{ extra: true }, 400, 'INVALID_REQUEST', 'extra'],
    ];
    const before = await snapshot(harness.dataSource);
    for (const [changed, status, code, field] of cases) {
      const response = await call<ErrorBody>('POST', TOP_UPS, officer, { ...base, ...changed });
      expect({
        changed,
        status: response.status,
        code: response.body.code,
        fields: (response.body.violations ?? []).map((violation) => violation.field),
      }).toEqual({ changed, status, code, fields: expect.arrayContaining([field]) });
    }
    expect(await snapshot(harness.dataSource)).toEqual(before);
  });

  it('sets requirements and records contributions per member: exact contributed and shortfall', async () => {
    const alpha = firm['ALPHA'] ?? '';
    const set = await call('PUT', requirementPath(alpha), officer, { asset: 'USDC', requiredAmount: '100000' });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({
      memberFirmId: alpha,
      asset: 'USDC',
      requiredAmount: '100000',
      updatedAt: expect.any(String),
    });
    await call('PUT', requirementPath(alpha), officer, { asset: 'BTC', requiredAmount: '2.5' });
    await call('PUT', requirementPath(alpha), officer, { asset: 'USDC', requiredAmount: '110000' });
    expect(
      (await auditRows(harness.dataSource, 'default-fund.requirement-set')).map((row) => row.details['changes']),
    ).toEqual([
      { requiredAmount: { from: null, to: '100000' } },
      { requiredAmount: { from: null, to: '2.5' } },
      { requiredAmount: { from: '100000', to: '110000' } },
    ]);

    const custodyBefore = await custodyBalance('USDC');
    const contribute = (idempotencyKey: string, code: string, amount: string, asset = 'USDC') =>
      call<Movement & ErrorBody>('POST', CONTRIBUTIONS, officer, {
        idempotencyKey,
        memberFirmId: firm[code],
        asset,
        amount,
      });
    const first = await contribute('df-alpha-0001', 'ALPHA', '60000');
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      idempotencyKey: 'df-alpha-0001',
      journalEntryId: expect.any(String),
      replayed: false,
      asset: 'USDC',
      amount: '60000',
      source: 'custody',
      destination: 'default_fund',
      memberFirmId: alpha,
    });
    await contribute('df-alpha-0002', 'ALPHA', '50000.25');
    await contribute('df-alpha-0003', 'ALPHA', '0.75', 'BTC');
    await contribute('df-bravo-0001', 'BRAVO', '5000');
    expect((await contribute('df-alpha-0001', 'ALPHA', '60000')).body).toEqual({ ...first.body, replayed: true });
    const before = await snapshot(harness.dataSource);
    // Reusing a key for another member is a conflict even though the postings would be the same.
    expect((await contribute('df-alpha-0001', 'BRAVO', '60000')).body).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect((await contribute('df-alpha-0001', 'ALPHA', '60001')).body).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect(await snapshot(harness.dataSource)).toEqual(before);

    expect((await resources()).defaultFund.balances).toEqual([
      { asset: 'BTC', balance: '0.75' },
      { asset: 'USDC', balance: '115000.25' },
    ]);
    expect((await custodyBalance('USDC')).toFixed()).toBe(custodyBefore.minus('115000.25').toFixed());
    const page = await call<MemberPage>('GET', '/v1/default-resources/default-fund/members?limit=2', auditor);
    expect(page.body).toEqual({
      total: 3,
      limit: 2,
      offset: 0,
      items: [
        {
          memberFirmId: alpha,
          memberFirmCode: 'ALPHA',
          memberFirmStatus: 'active',
          assets: [
            { asset: 'BTC', requiredAmount: '2.5', contributedAmount: '0.75', shortfall: '1.75' },
            { asset: 'USDC', requiredAmount: '110000', contributedAmount: '110000.25', shortfall: '0' },
          ],
        },
        {
          memberFirmId: firm['BRAVO'],
          memberFirmCode: 'BRAVO',
          memberFirmStatus: 'active',
          assets: [{ asset: 'USDC', requiredAmount: '0', contributedAmount: '5000', shortfall: '0' }],
        },
      ],
    });
    expect((await auditRows(harness.dataSource, 'default-fund.contributed')).map((row) => row.subjectId)).toEqual([
      alpha,
      alpha,
      alpha,
      firm['BRAVO'],
    ]);
    expect(await count('default_fund_contribution')).toBe(4);
  });

  it('refuses new contributions for a defaulted member but still answers its replays', async () => {
    const charlie = firm['CHARLIE'] ?? '';
    const body = { idempotencyKey: 'df-charlie-01', memberFirmId: charlie, asset: 'USDC', amount: '1000' };
    const first = await call('POST', CONTRIBUTIONS, officer, body);
    expect(first.body.replayed).toBe(false);
    expect(
      (await call('POST', `/v1/member-firms/${charlie}/declare-default`, officer, { reason: 'test' })).status,
    ).toBe(200);
    expect((await call('POST', CONTRIBUTIONS, officer, body)).body).toEqual({ ...first.body, replayed: true });
    const before = await snapshot(harness.dataSource);
    const refused = await call<ErrorBody>('POST', CONTRIBUTIONS, officer, { ...body, idempotencyKey: 'df-charlie-02' });
    expect(refused.body).toMatchObject({ statusCode: 409, code: 'MEMBER_FIRM_NOT_ACTIVE' });
    expect(await snapshot(harness.dataSource)).toEqual(before);
  });

  it('refuses bad requirements and contributions with typed codes and changes nothing', async () => {
    const alpha = firm['ALPHA'] ?? '';
    const before = await snapshot(harness.dataSource);
    const cases: [string, string, unknown, number, string][] = [
      ['PUT', requirementPath(alpha), { asset: 'BTC', requiredAmount: '1.000000001' }, 400, 'INVALID_AMOUNT'],
      ['PUT', requirementPath(alpha), { asset: 'BTC', requiredAmount: '-1' }, 400, 'INVALID_REQUEST'],
      ['PUT', requirementPath(alpha), { asset: 'XYZ', requiredAmount: '1' }, 404, 'ASSET_NOT_FOUND'],
      ['PUT', requirementPath(MISSING_ID), { asset: 'BTC', requiredAmount: '1' }, 404, 'MEMBER_FIRM_NOT_FOUND'],
      ['PUT', requirementPath('ALPHA'), { asset: 'BTC', requiredAmount: '1' }, 400, 'INVALID_REQUEST'],
      [
        'POST',
        CONTRIBUTIONS,
        { idempotencyKey: 'df-missing-1', memberFirmId: MISSING_ID, asset: 'USDC', amount: '1' },
        404,
        'MEMBER_FIRM_NOT_FOUND',
      ],
      [
        'POST',
        CONTRIBUTIONS,
        { idempotencyKey: 'df-bad-00001', memberFirmId: alpha, asset: 'BTC', amount: '0.000000001' },
        400,
        'INVALID_AMOUNT',
      ],
      ['POST', CONTRIBUTIONS, { idempotencyKey: 'df-bad-00002', asset: 'USDC', amount: '1' }, 400, 'INVALID_REQUEST'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const response = await call<ErrorBody>(method, path, officer, body);
      expect({ path, body, status: response.status, code: response.body.code }).toEqual({ path, body, status, code });
    }
    expect(await snapshot(harness.dataSource)).toEqual(before);
  });

  it('refuses every default-resource endpoint to wrong credentials and roles, changes nothing, audits each', async () => {
    const alpha = firm['ALPHA'] ?? '';
    const endpoints: Endpoint[] = [
      { method: 'GET', path: '/v1/default-resources', roles: ['risk-officer', 'operations', 'auditor'] },
      {
        method: 'GET',
        path: '/v1/default-resources/default-fund/members',
        roles: ['risk-officer', 'operations', 'auditor'],
      },
      {
        method: 'PUT',
        path: requirementPath(alpha),
        roles: ['risk-officer'],
        body: { asset: 'USDC', requiredAmount: '1' },
      },
      {
        method: 'POST',
        path: TOP_UPS,
        roles: ['risk-officer'],
        body: { idempotencyKey: 'never-0001', asset: 'USDC', amount: '1', source: 'custody' },
      },
      {
        method: 'POST',
        path: CONTRIBUTIONS,
        roles: ['risk-officer'],
        body: { idempotencyKey: 'never-0002', memberFirmId: alpha, asset: 'USDC', amount: '1' },
      },
    ];
    await expectAuthorizationMatrix(harness, endpoints);
    for (const token of Object.values(harness.tokens)) {
      expect((await call('GET', '/v1/default-resources', token)).status).toBe(200);
      expect((await call('GET', '/v1/default-resources/default-fund/members', token)).status).toBe(200);
    }
  });
});
