import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Decimal } from '@novation/money';
import { AccountEntity, InstrumentEntity, MemberFirmEntity, VenueEntity, seedDemoMarket } from '@novation/persistence';
import { createTestDatabase, testConfig, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { createApiApp } from '../src/api.app.js';
import { ApiKeyService } from '../src/auth/api-key.service.js';

const HOUR_MS = 3_600_000;
/** One execution time for every trade: a retry must carry the same payload to be a duplicate. */
const EXECUTED_AT = new Date(Date.now() - 1_000).toISOString();

interface GraphqlError {
  message: string;
  extensions?: { code?: string; field?: string };
}

interface GraphqlResponse {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: GraphqlError[] };
}

const SUBMIT_TRADES = `mutation($input: SubmitTradesInput!) { submitTrades(input: $input) {
  mode novatedCount duplicateCount rejectedCount trades { venueTradeId status tradeId error { code field message } } } }`;
const PUBLISH_MARKS = `mutation($input: PublishMarksInput!) { publishMarks(input: $input) {
  acceptedCount rejectedCount indexPrices { accepted error { code field } } markPrices { accepted error { code field } } } }`;
const RECORD_DEPOSIT = `mutation($input: RecordDepositInput!) { recordDeposit(input: $input) {
  journalEntryId created accountId asset amount } }`;
const REQUEST_WITHDRAWAL = `mutation($input: RequestWithdrawalInput!) { requestWithdrawal(input: $input) {
  journalEntryId created accountId asset amount marginCheck { receiptId equityForInitialMargin initialMargin } } }`;
const TRANSFER = `mutation($input: TransferCollateralInput!) { transferCollateral(input: $input) {
  journalEntryId created fromAccountId toAccountId asset amount marginCheck { receiptId } } }`;

describe('money-moving mutations over GraphQL', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let baseUrl: string;
  let alphaKey: string;
  let bravoKey: string;
  let venueKey: string;
  let otherVenueKey: string;
  let custodyKey: string;
  let adminKey: string;
  let alphaMainId: string;
  let alphaOptionsId: string;
  let bravoMainId: string;
  let otherInstrumentId: string;
  const instrumentIds = new Map<string, string>();

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createApiApp(testConfig({ DATABASE_URL: database.url }));
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    dataSource = app.get(DataSource);
    const now = Date.now();
    await seedDemoMarket(dataSource, new Date(now - HOUR_MS));
    for (const instrument of await dataSource.manager.find(InstrumentEntity)) {
      instrumentIds.set(instrument.symbol, instrument.id);
    }
    const alpha = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'ALPHA' });
    const bravo = await dataSource.manager.findOneByOrFail(MemberFirmEntity, { code: 'BRAVO' });
    const accountOf = async (memberFirmId: string, code: string) =>
      (await dataSource.manager.findOneByOrFail(AccountEntity, { memberFirmId, code })).id;
    alphaMainId = await accountOf(alpha.id, 'main');
    alphaOptionsId = await accountOf(alpha.id, 'options');
    bravoMainId = await accountOf(bravo.id, 'main');
    await dataSource.query(
      `INSERT INTO index_price (underlying, price, observed_at, source) VALUES ('BTC-USD', 100000, $1, 'test'), ('ETH-USD', 4000, $1, 'test')`,
      [new Date(now - 60_000)],
    );
    for (const [symbol, price] of [
      ['BTC-PERP', '100000'],
      ['ETH-PERP', '4000'],
    ] as const) {
      await dataSource.query(
        `INSERT INTO mark_price (instrument_id, price, observed_at, source) VALUES ($1, $2, $3, 'test')`,
        [instrumentIds.get(symbol), price, new Date(now - 60_000)],
      );
    }
    const demo = await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' });
    await dataSource.manager.insert(VenueEntity, { code: 'OTHER', name: 'Another venue' });
    const other = await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'OTHER' });
    await dataSource.manager.insert(InstrumentEntity, {
      symbol: 'SOL-PERP',
      kind: 'perpetual',
      settlementType: 'linear',
      underlying: 'SOL-USD',
      quoteAsset: 'USDC',
      settlementAsset: 'USDC',
      contractSize: new Decimal(1),
      venueId: other.id,
      quantityStep: new Decimal('0.01'),
    });
    otherInstrumentId = (await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'SOL-PERP' })).id;
    const apiKeys = app.get(ApiKeyService);
    alphaKey = (await apiKeys.issue({ role: 'member', memberFirmId: alpha.id, label: 'alpha desk' })).key;
    bravoKey = (await apiKeys.issue({ role: 'member', memberFirmId: bravo.id, label: 'bravo desk' })).key;
    venueKey = (await apiKeys.issue({ role: 'venue', venueId: demo.id, label: 'demo venue' })).key;
    otherVenueKey = (await apiKeys.issue({ role: 'venue', venueId: other.id, label: 'other venue' })).key;
    custodyKey = (await apiKeys.issue({ role: 'custody', label: 'custody bot' })).key;
    adminKey = (await apiKeys.issue({ role: 'admin', label: 'ops' })).key;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  async function graphql(
    key: string | undefined,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<GraphqlResponse> {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    expect(text).not.toMatch(/"stack"|\bat .+\.(?:js|ts|mjs):\d+/);
    return { status: response.status, body: JSON.parse(text) as GraphqlResponse['body'] };
  }

  const codesOf = (response: GraphqlResponse) => response.body.errors?.map((error) => error.extensions?.code);
  const dataOf = <T>(response: GraphqlResponse, field: string): T => {
    expect(response.body.errors).toBeUndefined();
    return response.body.data?.[field] as T;
  };

  async function balance(accountId: string, asset: string): Promise<string> {
    const [row]: { balance: string }[] = await dataSource.query(
      `SELECT coalesce(sum(amount), 0)::text AS balance FROM posting WHERE account_id = $1 AND asset = $2`,
      [accountId, asset],
    );
    return new Decimal(row?.balance ?? '0').toFixed();
  }

  function trimZeros(text: string): string {
    return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
  }

  async function position(accountId: string, symbol: string): Promise<{ quantity: string; entry: string | null }> {
    const [row]: { quantity: string; average_entry_price: string | null }[] = await dataSource.query(
      `SELECT quantity::text AS quantity, average_entry_price::text AS average_entry_price FROM position
        WHERE account_id = $1 AND instrument_id = $2`,
      [accountId, instrumentIds.get(symbol)],
    );
    return {
      quantity: trimZeros(row?.quantity ?? '0'),
      entry: row?.average_entry_price === null || row === undefined ? null : trimZeros(row.average_entry_price),
    };
  }

  /** Every table a mutation could write, by row count: a refused mutation leaves them all unchanged. */
  async function rowCounts(): Promise<Record<string, string>> {
    const [row] = await dataSource.query(
      `SELECT (SELECT count(*) FROM posting) AS postings, (SELECT count(*) FROM journal_entry) AS entries,
              (SELECT count(*) FROM trade) AS trades, (SELECT count(*) FROM position) AS positions,
              (SELECT count(*) FROM mark_price) AS marks, (SELECT count(*) FROM index_price) AS index_prices,
              (SELECT count(*) FROM margin_receipt) AS receipts, (SELECT count(*) FROM audit_log) AS audits`,
    );
    return row as Record<string, string>;
  }

  const trade = (venueTradeId: string, overrides: Record<string, unknown> = {}) => ({
    venueTradeId,
    instrumentId: instrumentIds.get('BTC-PERP'),
    buyerAccountId: alphaMainId,
    sellerAccountId: bravoMainId,
    quantity: '1.5',
    price: '100000',
    buyerFee: '1.5',
    sellerFee: '0.25',
    executedAt: EXECUTED_AT,
    ...overrides,
  });

  describe('submitTrades', () => {
    it('novates a trade of the caller venue with exact positions and fees, and reports a retry as duplicate', async () => {
      const first = await graphql(venueKey, SUBMIT_TRADES, { input: { mode: 'PER_TRADE', trades: [trade('t-1')] } });
      const result = dataOf<{ trades: { status: string; tradeId: string; venueTradeId: string }[] }>(
        first,
        'submitTrades',
      );
      expect(result).toMatchObject({ mode: 'PER_TRADE', novatedCount: 1, duplicateCount: 0, rejectedCount: 0 });
      const [novated] = result.trades;
      expect(novated).toMatchObject({ venueTradeId: 't-1', status: 'NOVATED', error: null });
      expect(await position(alphaMainId, 'BTC-PERP')).toEqual({ quantity: '1.5', entry: '100000' });
      expect(await position(bravoMainId, 'BTC-PERP')).toEqual({ quantity: '-1.5', entry: '100000' });
      expect(await balance(alphaMainId, 'USDC')).toBe('2499998.5');
      expect(await balance(bravoMainId, 'USDC')).toBe('999999.75');

      const before = await rowCounts();
      const retry = await graphql(venueKey, SUBMIT_TRADES, { input: { mode: 'PER_TRADE', trades: [trade('t-1')] } });
      expect(dataOf<{ trades: unknown[] }>(retry, 'submitTrades').trades).toEqual([
        { venueTradeId: 't-1', status: 'DUPLICATE', tradeId: novated?.tradeId, error: null },
      ]);
      expect(await rowCounts()).toEqual(before);
    });

    it('rejects per trade with codes: reused id, bad step, unknown account, another venue instrument', async () => {
      const before = await rowCounts();
      const response = await graphql(venueKey, SUBMIT_TRADES, {
        input: {
          mode: 'PER_TRADE',
          trades: [
            trade('t-1', { quantity: '2' }),
            trade('t-2', { quantity: '0.0005' }),
            trade('t-3', { buyerAccountId: randomUUID() }),
            trade('t-4', { instrumentId: otherInstrumentId }),
          ],
        },
      });
      const result = dataOf<{ trades: { status: string; error: { code: string; field: string } | null }[] }>(
        response,
        'submitTrades',
      );
      expect(result.trades.map((item) => [item.status, item.error?.code])).toEqual([
        ['REJECTED', 'TRADE_ID_REUSED'],
        ['REJECTED', 'QUANTITY_STEP'],
        ['REJECTED', 'UNKNOWN_ACCOUNT'],
        ['REJECTED', 'INSTRUMENT_NOT_LISTED'],
      ]);
      expect(await rowCounts()).toEqual(before);
    });

    it('aborts a whole atomic batch on one rejection', async () => {
      const before = await rowCounts();
      const response = await graphql(venueKey, SUBMIT_TRADES, {
        input: { mode: 'ATOMIC', trades: [trade('t-5'), trade('t-6', { price: '-1' })] },
      });
      const result = dataOf<{ trades: { status: string; error: { code: string } | null }[] }>(response, 'submitTrades');
      expect(result.trades.map((item) => item.error?.code)).toEqual(['BATCH_ABORTED', 'NON_POSITIVE_PRICE']);
      expect(await rowCounts()).toEqual(before);
    });

    it('clears nothing of another venue: its key cannot trade this venue instruments', async () => {
      const before = await rowCounts();
      const response = await graphql(otherVenueKey, SUBMIT_TRADES, {
        input: { mode: 'PER_TRADE', trades: [trade('t-7')] },
      });
      const [item] = dataOf<{ trades: { status: string; error: { code: string } | null }[] }>(
        response,
        'submitTrades',
      ).trades;
      expect(item).toMatchObject({ status: 'REJECTED', error: { code: 'INSTRUMENT_NOT_LISTED' } });
      expect(await rowCounts()).toEqual(before);
    });

    it('refuses more than 1000 trades and a venue field in a trade', async () => {
      const many = Array.from({ length: 1001 }, (_, index) => trade(`bulk-${index}`));
      const tooMany = await graphql(venueKey, SUBMIT_TRADES, { input: { mode: 'PER_TRADE', trades: many } });
      expect(tooMany.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'trades' });
      const withVenue = await graphql(venueKey, SUBMIT_TRADES, {
        input: { mode: 'PER_TRADE', trades: [{ ...trade('t-8'), venueId: randomUUID() }] },
      });
      expect(codesOf(withVenue)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    });
  });

  describe('publishMarks', () => {
    it('accepts marks and index prices of the caller venue and judges each item alone', async () => {
      const now = Date.now();
      const before = await rowCounts();
      const response = await graphql(venueKey, PUBLISH_MARKS, {
        input: {
          indexPrices: [
            { underlying: 'BTC-USD', price: '100200', observedAt: new Date(now - 1_000).toISOString() },
            { underlying: 'SOL-USD', price: '150', observedAt: new Date(now - 1_000).toISOString() },
          ],
          markPrices: [
            {
              instrumentId: instrumentIds.get('BTC-PERP'),
              price: '100100',
              observedAt: new Date(now - 1_000).toISOString(),
            },
            {
              instrumentId: instrumentIds.get('ETH-PERP'),
              price: '4010',
              observedAt: new Date(now - 600_000).toISOString(),
            },
            {
              instrumentId: instrumentIds.get('ETH-PERP'),
              price: '9000',
              observedAt: new Date(now - 500).toISOString(),
            },
            { instrumentId: otherInstrumentId, price: '150', observedAt: new Date(now - 1_000).toISOString() },
            {
              instrumentId: instrumentIds.get('ETH-PERP'),
              price: '4020',
              observedAt: new Date(now + 60_000).toISOString(),
            },
          ],
        },
      });
      expect(dataOf(response, 'publishMarks')).toEqual({
        acceptedCount: 2,
        rejectedCount: 5,
        indexPrices: [
          { accepted: true, error: null },
          { accepted: false, error: { code: 'UNDERLYING_NOT_LISTED', field: 'indexPrices[1].underlying' } },
        ],
        markPrices: [
          { accepted: true, error: null },
          { accepted: false, error: { code: 'STALE_PRICE', field: 'markPrices[1].observedAtEpochMs' } },
          { accepted: false, error: { code: 'OUTSIDE_PRICE_BAND', field: 'markPrices[2].price' } },
          { accepted: false, error: { code: 'INSTRUMENT_NOT_LISTED', field: 'markPrices[3].instrumentId' } },
          { accepted: false, error: { code: 'FUTURE_TIMESTAMP', field: 'markPrices[4].observedAtEpochMs' } },
        ],
      });
      const after = await rowCounts();
      expect(Number(after['marks'])).toBe(Number(before['marks']) + 1);
      expect(Number(after['index_prices'])).toBe(Number(before['index_prices']) + 1);
      const [sol] = await dataSource.query(`SELECT count(*)::int AS count FROM mark_price WHERE instrument_id = $1`, [
        otherInstrumentId,
      ]);
      expect(sol.count).toBe(0);
    });
  });

  describe('recordDeposit', () => {
    const deposit = (overrides: Record<string, unknown> = {}) => ({
      input: { accountId: alphaMainId, asset: 'USDC', amount: '1000.125', idempotencyKey: 'dep-1', ...overrides },
    });

    it('credits the account exactly once per idempotency key', async () => {
      const start = await balance(alphaMainId, 'USDC');
      const first = dataOf<{ journalEntryId: string }>(
        await graphql(custodyKey, RECORD_DEPOSIT, deposit()),
        'recordDeposit',
      );
      expect(first).toMatchObject({ created: true, accountId: alphaMainId, asset: 'USDC', amount: '1000.125' });
      expect(await balance(alphaMainId, 'USDC')).toBe(new Decimal(start).plus('1000.125').toFixed());
      const retry = await graphql(custodyKey, RECORD_DEPOSIT, deposit());
      expect(dataOf(retry, 'recordDeposit')).toEqual({ ...first, created: false });
      expect(await balance(alphaMainId, 'USDC')).toBe(new Decimal(start).plus('1000.125').toFixed());
    });

    it('refuses with typed codes and changes nothing', async () => {
      const before = await rowCounts();
      const cases: [Record<string, unknown>, string, string][] = [
        [{ amount: '2' }, 'IDEMPOTENCY_KEY_REUSED', 'idempotencyKey'],
        [{ accountId: randomUUID(), idempotencyKey: 'dep-2' }, 'NOT_FOUND', 'accountId'],
        [{ accountId: 'not-a-uuid', idempotencyKey: 'dep-3' }, 'NOT_FOUND', 'accountId'],
        [{ amount: '0', idempotencyKey: 'dep-4' }, 'BAD_USER_INPUT', 'amount'],
        [{ amount: '1.0000001', idempotencyKey: 'dep-5' }, 'BAD_USER_INPUT', 'amount'],
        [{ asset: 'DOGE', idempotencyKey: 'dep-6' }, 'BAD_USER_INPUT', 'asset'],
        [{ idempotencyKey: 'has space' }, 'BAD_USER_INPUT', 'idempotencyKey'],
        [{ idempotencyKey: '' }, 'BAD_USER_INPUT', 'idempotencyKey'],
        [{ idempotencyKey: 'k'.repeat(129) }, 'BAD_USER_INPUT', 'idempotencyKey'],
      ];
      for (const [overrides, code, field] of cases) {
        const response = await graphql(custodyKey, RECORD_DEPOSIT, deposit(overrides));
        expect([overrides, response.body.errors?.[0]?.extensions]).toEqual([overrides, { code, field }]);
      }
      const noKey = await graphql(custodyKey, RECORD_DEPOSIT, {
        input: { accountId: alphaMainId, asset: 'USDC', amount: '1' },
      });
      expect(codesOf(noKey)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(await rowCounts()).toEqual(before);
    });
  });

  describe('requestWithdrawal', () => {
    const withdrawal = (overrides: Record<string, unknown> = {}) => ({
      input: { accountId: alphaMainId, asset: 'USDC', amount: '100.25', idempotencyKey: 'wd-1', ...overrides },
    });

    it('pays out after a passed margin check, once per key', async () => {
      const start = await balance(alphaMainId, 'USDC');
      const first = dataOf<{ marginCheck: { receiptId: string } }>(
        await graphql(alphaKey, REQUEST_WITHDRAWAL, withdrawal()),
        'requestWithdrawal',
      );
      expect(first).toMatchObject({ created: true, accountId: alphaMainId, asset: 'USDC', amount: '100.25' });
      const expected = new Decimal(start).minus('100.25').toFixed();
      expect(await balance(alphaMainId, 'USDC')).toBe(expected);
      const retry = await graphql(alphaKey, REQUEST_WITHDRAWAL, withdrawal());
      expect(dataOf(retry, 'requestWithdrawal')).toEqual({ ...first, created: false });
      expect(await balance(alphaMainId, 'USDC')).toBe(expected);
    });

    it('scopes idempotency keys to the member firm', async () => {
      // Bravo reusing Alpha's key is a new withdrawal of its own, not a replay or a conflict.
      const bravo = await graphql(bravoKey, REQUEST_WITHDRAWAL, withdrawal({ accountId: bravoMainId, amount: '1' }));
      expect(dataOf(bravo, 'requestWithdrawal')).toMatchObject({ created: true, accountId: bravoMainId });
      expect(await balance(bravoMainId, 'USDC')).toBe('999998.75');
    });

    it('refuses over the balance, below initial margin and a reused key, changing nothing', async () => {
      const before = await rowCounts();
      const insufficient = await graphql(
        alphaKey,
        REQUEST_WITHDRAWAL,
        withdrawal({ amount: '1000000000', idempotencyKey: 'wd-2' }),
      );
      expect(insufficient.body.errors?.[0]?.extensions).toEqual({ code: 'INSUFFICIENT_BALANCE', field: 'amount' });
      // Bravo is short 1.5 BTC-PERP: paying out its whole USDC balance leaves no equity for its IM.
      const breach = await graphql(bravoKey, REQUEST_WITHDRAWAL, {
        input: {
          accountId: bravoMainId,
          asset: 'USDC',
          amount: await balance(bravoMainId, 'USDC'),
          idempotencyKey: 'wd-3',
        },
      });
      expect(breach.body.errors?.[0]?.extensions).toEqual({ code: 'INITIAL_MARGIN_BREACH', field: 'amount' });
      const reused = await graphql(alphaKey, REQUEST_WITHDRAWAL, withdrawal({ amount: '7' }));
      expect(reused.body.errors?.[0]?.extensions).toEqual({ code: 'IDEMPOTENCY_KEY_REUSED', field: 'idempotencyKey' });
      expect(await rowCounts()).toEqual(before);
    });

    it("treats another firm's account exactly like a missing one, before any other check", async () => {
      const before = await rowCounts();
      const bravoBalance = await balance(bravoMainId, 'USDC');
      const missingId = randomUUID();
      for (const overrides of [{}, { amount: '0' }, { asset: 'DOGE' }, { amount: '1000000000' }]) {
        const foreign = await graphql(
          alphaKey,
          REQUEST_WITHDRAWAL,
          withdrawal({ ...overrides, accountId: bravoMainId, idempotencyKey: 'wd-x' }),
        );
        const missing = await graphql(
          alphaKey,
          REQUEST_WITHDRAWAL,
          withdrawal({ ...overrides, accountId: missingId, idempotencyKey: 'wd-x' }),
        );
        expect(foreign.body.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', field: 'accountId' });
        expect(foreign.body.errors?.[0]?.message.replace(bravoMainId, '<id>')).toBe(
          missing.body.errors?.[0]?.message.replace(missingId, '<id>'),
        );
        expect(missing.body.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', field: 'accountId' });
      }
      expect(await balance(bravoMainId, 'USDC')).toBe(bravoBalance);
      expect(await rowCounts()).toEqual(before);
    });
  });

  describe('transferCollateral', () => {
    const transfer = (overrides: Record<string, unknown> = {}) => ({
      input: {
        fromAccountId: alphaMainId,
        toAccountId: alphaOptionsId,
        asset: 'BTC',
        amount: '0.5',
        idempotencyKey: 'tr-1',
        ...overrides,
      },
    });

    it('moves collateral between two accounts of the firm, once per key', async () => {
      const first = dataOf<Record<string, unknown>>(
        await graphql(alphaKey, TRANSFER, transfer()),
        'transferCollateral',
      );
      expect(first).toMatchObject({
        created: true,
        fromAccountId: alphaMainId,
        toAccountId: alphaOptionsId,
        amount: '0.5',
      });
      expect(await balance(alphaMainId, 'BTC')).toBe('9.5');
      expect(await balance(alphaOptionsId, 'BTC')).toBe('25.5');
      expect(dataOf(await graphql(alphaKey, TRANSFER, transfer()), 'transferCollateral')).toEqual({
        ...first,
        created: false,
      });
      expect(await balance(alphaMainId, 'BTC')).toBe('9.5');
      expect(await balance(alphaOptionsId, 'BTC')).toBe('25.5');
    });

    it("refuses the same account, and another firm's account on either side like a missing one", async () => {
      const before = await rowCounts();
      const same = await graphql(alphaKey, TRANSFER, transfer({ toAccountId: alphaMainId, idempotencyKey: 'tr-2' }));
      expect(same.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'toAccountId' });
      for (const [side, field] of [
        ['fromAccountId', 'fromAccountId'],
        ['toAccountId', 'toAccountId'],
      ] as const) {
        for (const id of [bravoMainId, randomUUID()]) {
          const response = await graphql(
            alphaKey,
            TRANSFER,
            transfer({ [side]: id, amount: '0', idempotencyKey: 'tr-3' }),
          );
          expect(response.body.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', field });
        }
      }
      // Both sides foreign and equal: still NOT_FOUND, not SAME_ACCOUNT.
      const bothForeign = await graphql(
        alphaKey,
        TRANSFER,
        transfer({ fromAccountId: bravoMainId, toAccountId: bravoMainId }),
      );
      expect(bothForeign.body.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', field: 'fromAccountId' });
      expect(await rowCounts()).toEqual(before);
    });
  });

  describe('role matrix', () => {
    const now = new Date().toISOString();
    const calls: [string, string, Record<string, unknown>][] = [
      ['submitTrades', SUBMIT_TRADES, { input: { mode: 'PER_TRADE', trades: [] } }],
      ['publishMarks', PUBLISH_MARKS, { input: { indexPrices: [], markPrices: [] } }],
      [
        'recordDeposit',
        RECORD_DEPOSIT,
        { input: { accountId: randomUUID(), asset: 'USDC', amount: '1', idempotencyKey: 'r' } },
      ],
      [
        'requestWithdrawal',
        REQUEST_WITHDRAWAL,
        { input: { accountId: randomUUID(), asset: 'USDC', amount: '1', idempotencyKey: 'r' } },
      ],
      [
        'transferCollateral',
        TRANSFER,
        {
          input: {
            fromAccountId: randomUUID(),
            toAccountId: randomUUID(),
            asset: 'USDC',
            amount: '1',
            idempotencyKey: 'r',
          },
        },
      ],
    ];
    const allowed: Record<string, string> = {
      submitTrades: 'venue',
      publishMarks: 'venue',
      recordDeposit: 'custody',
      requestWithdrawal: 'member',
      transferCollateral: 'member',
    };

    it('lets only the right role call each mutation', async () => {
      expect(now).toBeTruthy();
      const keys: Record<string, string> = { member: alphaKey, venue: venueKey, custody: custodyKey, admin: adminKey };
      const before = await rowCounts();
      for (const [name, query, variables] of calls) {
        for (const [role, key] of Object.entries(keys)) {
          const response = await graphql(key, query, variables);
          const codes = codesOf(response) ?? [];
          if (role === allowed[name]) expect([name, role, codes.includes('FORBIDDEN')]).toEqual([name, role, false]);
          else expect([name, role, codes]).toEqual([name, role, ['FORBIDDEN']]);
        }
        expect([name, codesOf(await graphql(undefined, query, variables))]).toEqual([name, ['UNAUTHENTICATED']]);
      }
      expect(await rowCounts()).toEqual(before);
    });
  });
});
