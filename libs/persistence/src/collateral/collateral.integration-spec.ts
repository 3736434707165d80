import { Decimal } from '@novation/money';
import { replayMarginReceipt } from '@novation/risk';
import { createTestDatabase, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { auditInvariants } from '../audit/auditor.js';
import { dataSourceOptions, migrateUp } from '../data-source.js';
import { AccountEntity, MemberFirmEntity } from '../entities/membership.entity.js';
import { InstrumentEntity, VenueEntity } from '../entities/reference-data.entity.js';
import { ensureDemoParameterSet } from '../margin/demo-parameter-set.js';
import { exportReceipt, marginAccount } from '../margin/margin-account.js';
import { seedDemoMarket } from '../seed/demo-market.js';
import { CollateralOperationError } from './collateral-operation-error.js';
import {
  recordDeposit,
  requestWithdrawal,
  transferCollateral,
  type WithdrawalOutcome,
} from './collateral-operations.js';

const SEED_TIME = new Date('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;
const T0 = SEED_TIME.getTime() + HOUR;
const POOL_SIZE = 10;

describe('collateral deposits, withdrawals and transfers', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let venueId: string;
  let custodyId: string;
  let btcPerpId: string;
  let firmCount = 0;
  let tradeCount = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    const options = dataSourceOptions({
      database: { url: database.url, poolSizeMax: POOL_SIZE, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
    });
    // Waiting for a pool slot is part of the concurrency test: allow it longer than the default 5 s.
    dataSource = new DataSource({
      ...options,
      logging: false,
      extra: { ...options.extra, connectionTimeoutMillis: 120_000 },
    });
    await dataSource.initialize();
    await migrateUp(dataSource);
    await seedDemoMarket(dataSource, SEED_TIME);
    await dataSource.transaction((manager) => ensureDemoParameterSet(manager, SEED_TIME.getTime()));
    venueId = (await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' })).id;
    custodyId = (await dataSource.manager.findOneByOrFail(AccountEntity, { houseRole: 'custody' })).id;
    btcPerpId = (await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'BTC-PERP' })).id;
    await dataSource.query(
      `INSERT INTO index_price (underlying, price, observed_at, source) VALUES ('BTC-USD', 100000, $1, 'test'), ('ETH-USD', 4000, $1, 'test')`,
      [new Date(T0 - 60_000)],
    );
    await dataSource.query(
      `INSERT INTO mark_price (instrument_id, price, observed_at, source) VALUES ($1, 100000, $2, 'test')`,
      [btcPerpId, new Date(T0 - 60_000)],
    );
  });

  afterEach(async () => {
    expect(await auditInvariants(dataSource)).toEqual([]);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  /** A new member firm with `count` cross USDC accounts, each funded through recordDeposit. */
  async function memberWithAccounts(usdc: readonly string[]): Promise<string[]> {
    firmCount += 1;
    const code = `TEST${firmCount}`;
    const firm = await dataSource.manager.save(
      MemberFirmEntity,
      dataSource.manager.create(MemberFirmEntity, { code, name: code }),
    );
    const ids: string[] = [];
    for (const [index, amount] of usdc.entries()) {
      const account = await dataSource.manager.save(
        AccountEntity,
        dataSource.manager.create(AccountEntity, {
          memberFirmId: firm.id,
          code: `acct-${index}`,
          kind: 'cross',
          houseRole: null,
          settlementAsset: 'USDC',
          isolatedInstrumentId: null,
        }),
      );
      await recordDeposit(dataSource, {
        accountId: account.id,
        asset: 'USDC',
        amount,
        idempotencyKey: `fund:${code}:${index}`,
      });
      ids.push(account.id);
    }
    return ids;
  }

  /** Opens `quantity` BTC-PERP long for `buyer` against `seller` at 100,000 (one trade, two positions). */
  async function openBtcPerp(buyer: string, seller: string, quantity: string): Promise<void> {
    tradeCount += 1;
    const [trade] = await dataSource.query(
      `INSERT INTO trade (venue_id, venue_trade_id, instrument_id, buyer_account_id, seller_account_id, quantity, price,
                          buyer_fee, seller_fee, executed_at, payload_hash)
       VALUES ($1, $2, $3, $4, $5, $6, 100000, 0, 0, $7, repeat('0', 64)) RETURNING id`,
      [venueId, `collateral-test-${tradeCount}`, btcPerpId, buyer, seller, quantity, new Date(T0 - HOUR / 2)],
    );
    for (const [accountId, signed] of [
      [buyer, quantity],
      [seller, `-${quantity}`],
    ] as const) {
      await dataSource.query(
        `INSERT INTO position (account_id, instrument_id, quantity, average_entry_price, last_trade_id) VALUES ($1, $2, $3, 100000, $4)`,
        [accountId, btcPerpId, signed, trade.id],
      );
    }
  }

  async function balance(accountId: string, asset = 'USDC'): Promise<string> {
    const [row] = await dataSource.query(
      `SELECT coalesce(sum(amount), 0)::text AS balance FROM posting WHERE account_id = $1 AND asset = $2`,
      [accountId, asset],
    );
    return new Decimal(row.balance).toFixed();
  }

  /** Everything a refused operation must leave as it was. */
  async function snapshot(): Promise<unknown> {
    return dataSource.query(
      `SELECT (SELECT count(*) FROM journal_entry)::int AS entries, (SELECT count(*) FROM posting)::int AS postings,
              (SELECT count(*) FROM margin_receipt)::int AS receipts, (SELECT count(*) FROM audit_log)::int AS audit,
              (SELECT string_agg(balance.account_id || ':' || balance.asset || ':' || balance.balance::text, ','
                 ORDER BY balance.account_id, balance.asset) FROM account_balance balance) AS balances,
              (SELECT string_agg(id || ':' || margin_state || ':' || margin_state_version, ',' ORDER BY id) FROM account) AS states`,
    );
  }

  async function expectRefusal(operation: Promise<unknown>, code: string): Promise<void> {
    const before = await snapshot();
    const error = await operation.then(
      () => new Error('expected a refusal'),
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CollateralOperationError);
    expect(error).toMatchObject({ code });
    expect(await snapshot()).toEqual(before);
  }

  it('records deposits exactly once per key, crediting the account and debiting custody', async () => {
    const [account] = (await memberWithAccounts(['1000'])) as [string];
    const custodyBefore = await balance(custodyId);
    const first = await recordDeposit(dataSource, {
      accountId: account,
      asset: 'USDC',
      amount: '250.123456',
      idempotencyKey: 'dep:1',
    });
    expect(first).toMatchObject({ created: true, accountId: account, asset: 'USDC', amount: '250.123456' });
    const retry = await recordDeposit(dataSource, {
      accountId: account,
      asset: 'USDC',
      amount: '250.123456',
      idempotencyKey: 'dep:1',
    });
    expect(retry).toEqual({ ...first, created: false });
    expect(await balance(account)).toBe('1250.123456');
    expect(await balance(custodyId)).toBe(new Decimal(custodyBefore).minus('250.123456').toFixed());
    const btc = await recordDeposit(dataSource, {
      accountId: account,
      asset: 'BTC',
      amount: '0.00000001',
      idempotencyKey: 'dep:2',
    });
    expect(btc.created).toBe(true);
    expect(await balance(account, 'BTC')).toBe('0.00000001');
    await expectRefusal(
      recordDeposit(dataSource, { accountId: account, asset: 'USDC', amount: '999', idempotencyKey: 'dep:1' }),
      'IDEMPOTENCY_KEY_REUSED',
    );
  });

  it('refuses malformed amounts, unknown assets and accounts, and house accounts, changing nothing', async () => {
    const [account] = (await memberWithAccounts(['1000'])) as [string];
    const deposit = (amount: string, asset = 'USDC', accountId = account) =>
      recordDeposit(dataSource, { accountId, asset, amount, idempotencyKey: `bad:${asset}:${amount}` });
    for (const amount of [
      '0',
      '0.000000',
      '-5',
      'NaN',
      'Infinity',
      '1e3',
      '1.5e2',
      ' 1',
      '',
      '1.0000001',
      '0x10',
      '100000000000000000000',
    ]) {
      await expectRefusal(deposit(amount), 'INVALID_AMOUNT');
    }
    await expectRefusal(deposit('0.000000001', 'BTC'), 'INVALID_AMOUNT');
    await expectRefusal(deposit('1', 'DOGE'), 'UNKNOWN_ASSET');
    await expectRefusal(deposit('1', 'USDC', '00000000-0000-4000-8000-000000000000'), 'UNKNOWN_ACCOUNT');
    await expectRefusal(deposit('1', 'USDC', 'nope'), 'UNKNOWN_ACCOUNT');
    await expectRefusal(deposit('1', 'USDC', custodyId), 'NOT_A_MEMBER_ACCOUNT');
    await expectRefusal(
      requestWithdrawal(dataSource, {
        accountId: account,
        asset: 'USDC',
        amount: '1.0000001',
        idempotencyKey: 'w:bad',
        nowEpochMs: T0,
      }),
      'INVALID_AMOUNT',
    );
    await expectRefusal(
      recordDeposit(dataSource, { accountId: account, asset: 'USDC', amount: '1', idempotencyKey: '' }),
      'INVALID_IDEMPOTENCY_KEY',
    );
  });

  it('pays out withdrawals within the balance and IM, and refuses the rest without effect', async () => {
    const [trader, counterparty] = (await memberWithAccounts(['30000', '100000'])) as [string, string];
    await openBtcPerp(trader, counterparty, '5'); // IM 2% of 500,000 = 10,000
    const custodyBefore = await balance(custodyId);
    const withdrawal = (amount: string, key: string) =>
      requestWithdrawal(dataSource, { accountId: trader, asset: 'USDC', amount, idempotencyKey: key, nowEpochMs: T0 });

    const paid = await withdrawal('15000', 'w:1');
    expect(paid).toMatchObject({ created: true, amount: '15000' });
    expect(paid.marginCheck).toMatchObject({ equityForInitialMargin: '15000', initialMargin: '10000' });
    expect(await balance(trader)).toBe('15000');
    expect(await balance(custodyId)).toBe(new Decimal(custodyBefore).plus('15000').toFixed());
    const receipt = await exportReceipt(dataSource.manager, paid.marginCheck.receiptId);
    expect(replayMarginReceipt(receipt)).toEqual({ match: true });
    expect(receipt.collateral).toEqual({ marginAsset: 'USDC', holdings: [{ asset: 'USDC', amount: '15000' }] });

    // A retry returns the original outcome and pays nothing again.
    expect(await withdrawal('15000', 'w:1')).toEqual({ ...paid, created: false });
    expect(await balance(trader)).toBe('15000');
    await expectRefusal(withdrawal('14000', 'w:1'), 'IDEMPOTENCY_KEY_REUSED');

    await expectRefusal(withdrawal('15000.000001', 'w:2'), 'INSUFFICIENT_BALANCE');
    await expectRefusal(withdrawal('5000.000001', 'w:3'), 'WITHDRAWAL_BREACHES_INITIAL_MARGIN');
    const toTheLimit = await withdrawal('5000', 'w:4');
    expect(toTheLimit.marginCheck).toMatchObject({ equityForInitialMargin: '10000', initialMargin: '10000' });
    expect(await balance(trader)).toBe('10000');

    // Under a margin call (the mark fell), nothing leaves the account.
    const t1 = T0 + HOUR;
    await dataSource.query(
      `INSERT INTO mark_price (instrument_id, price, observed_at, source) VALUES ($1, 99900, $2, 'test')`,
      [btcPerpId, new Date(t1 - 1000)],
    );
    expect((await marginAccount(dataSource, trader, t1)).newState).toBe('margin_call');
    await recordDeposit(dataSource, { accountId: trader, asset: 'USDC', amount: '5000', idempotencyKey: 'dep:cure' });
    await expectRefusal(
      requestWithdrawal(dataSource, {
        accountId: trader,
        asset: 'USDC',
        amount: '1',
        idempotencyKey: 'w:5',
        nowEpochMs: t1,
      }),
      'ACCOUNT_UNDER_MARGIN_CALL',
    );
    expect((await marginAccount(dataSource, trader, t1)).newState).toBe('healthy');
    const afterCure = await requestWithdrawal(dataSource, {
      accountId: trader,
      asset: 'USDC',
      amount: '1',
      idempotencyKey: 'w:5',
      nowEpochMs: t1,
    });
    expect(afterCure.created).toBe(true);
    await dataSource.query(
      `INSERT INTO mark_price (instrument_id, price, observed_at, source) VALUES ($1, 100000, $2, 'test')`,
      [btcPerpId, new Date(t1)],
    );
  });

  it('transfers between accounts of one member, checking IM on the source', async () => {
    const [source, destination, counterparty] = (await memberWithAccounts(['20000', '0.5', '100000'])) as [
      string,
      string,
      string,
    ];
    const [stranger] = (await memberWithAccounts(['10'])) as [string];
    await openBtcPerp(source, counterparty, '5'); // IM 10,000 on the source
    const transfer = (amount: string, key: string, to = destination) =>
      transferCollateral(dataSource, {
        fromAccountId: source,
        toAccountId: to,
        asset: 'USDC',
        amount,
        idempotencyKey: key,
        nowEpochMs: T0,
      });
    const moved = await transfer('9999.5', 't:1');
    expect(moved).toMatchObject({ created: true, fromAccountId: source, toAccountId: destination, amount: '9999.5' });
    expect(await balance(source)).toBe('10000.5');
    expect(await balance(destination)).toBe('10000');
    expect(await transfer('9999.5', 't:1')).toEqual({ ...moved, created: false });
    await expectRefusal(transfer('0.500001', 't:2'), 'WITHDRAWAL_BREACHES_INITIAL_MARGIN');
    await expectRefusal(transfer('1', 't:3', stranger), 'DIFFERENT_MEMBERS');
    await expectRefusal(transfer('1', 't:4', source), 'SAME_ACCOUNT');
    await expectRefusal(transfer('1', 't:5', custodyId), 'NOT_A_MEMBER_ACCOUNT');
    await expectRefusal(
      transferCollateral(dataSource, {
        fromAccountId: destination,
        toAccountId: source,
        asset: 'USDC',
        amount: '10000.000001',
        idempotencyKey: 't:6',
        nowEpochMs: T0,
      }),
      'INSUFFICIENT_BALANCE',
    );
    expect(await balance(source)).toBe('10000.5');
    expect(await balance(destination)).toBe('10000');
  });

  it('serialises 1,000 concurrent deposits and withdrawals on one account without breaching IM', async () => {
    const [trader, counterparty] = (await memberWithAccounts(['25000', '1000000'])) as [string, string];
    await openBtcPerp(trader, counterparty, '5'); // IM 10,000; 15,000 of headroom to start with
    const initial = new Decimal(await balance(trader));
    const operations = Array.from({ length: 1_000 }, (_, index) => {
      // A fixed interleaving: deposits of 37.5 and withdrawals of 120 (more than the deposits and headroom allow).
      const isWithdrawal = (index * 7) % 10 < 5;
      return { index, isWithdrawal, amount: isWithdrawal ? '120' : '37.5' };
    });
    const started = performance.now();
    const outcomes = await Promise.all(
      operations.map(async (operation) => {
        const idempotencyKey = `load:${operation.index}`;
        try {
          if (!operation.isWithdrawal) {
            await recordDeposit(dataSource, {
              accountId: trader,
              asset: 'USDC',
              amount: operation.amount,
              idempotencyKey,
            });
            return { ...operation, applied: true as const };
          }
          const outcome = await requestWithdrawal(dataSource, {
            accountId: trader,
            asset: 'USDC',
            amount: operation.amount,
            idempotencyKey,
            nowEpochMs: T0,
          });
          return { ...operation, applied: true as const, outcome };
        } catch (error) {
          if (error instanceof CollateralOperationError)
            return { ...operation, applied: false as const, code: error.code };
          throw error; // a deadlock or anything else unexpected fails the test
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    const applied = outcomes.filter((outcome) => outcome.applied);
    const deposits = applied.filter((outcome) => !outcome.isWithdrawal);
    const withdrawals = applied.filter((outcome) => outcome.isWithdrawal);
    const refused = outcomes.filter((outcome) => !outcome.applied);
    const expected = applied.reduce(
      (total, outcome) => (outcome.isWithdrawal ? total.minus(outcome.amount) : total.plus(outcome.amount)),
      initial,
    );
    console.info(
      `1,000 concurrent operations in ${Math.round(elapsedMs)} ms: ${deposits.length} deposits, ` +
        `${withdrawals.length} withdrawals applied, ${refused.length} refused ` +
        `(${[...new Set(refused.map((outcome) => ('code' in outcome ? outcome.code : '')))].join(', ')})`,
    );
    expect(deposits).toHaveLength(500);
    expect(withdrawals.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((outcome) => 'code' in outcome && outcome.code === 'WITHDRAWAL_BREACHES_INITIAL_MARGIN')).toBe(
      true,
    );
    expect(await balance(trader)).toBe(expected.toFixed());

    // Every accepted withdrawal's stored margin check: equity for IM at least IM after the payout, and its
    // holdings equal the balance right after that withdrawal in ledger order (the check saw the real state).
    for (const outcome of withdrawals) {
      const check = (outcome as { outcome: WithdrawalOutcome }).outcome.marginCheck;
      expect(new Decimal(check.equityForInitialMargin).greaterThanOrEqualTo(check.initialMargin)).toBe(true);
    }
    const ledger: { id: string; kind: string; amount: string; receipt_holding: string | null }[] =
      await dataSource.query(
        `SELECT entry.id, entry.kind, posting.amount::text AS amount,
              receipt.inputs #>> '{collateral,holdings,0,amount}' AS receipt_holding
         FROM journal_entry entry
         JOIN posting ON posting.journal_entry_id = entry.id AND posting.account_id = $1
         LEFT JOIN audit_log log ON log.subject_type = 'journal_entry' AND log.subject_id = entry.id::text
         LEFT JOIN margin_receipt receipt ON receipt.id = (log.details #>> '{marginCheck,receiptId}')::bigint
        ORDER BY entry.id`,
        [trader],
      );
    let running = new Decimal(0);
    let checked = 0;
    for (const row of ledger) {
      running = running.plus(row.amount);
      if (row.kind === 'withdrawal') {
        expect(row.receipt_holding).toBe(running.toFixed());
        checked += 1;
      }
    }
    expect(checked).toBe(withdrawals.length);
    const receipts: { ok: boolean }[] = await dataSource.query(
      `SELECT (result->>'equityForInitialMargin')::numeric >= (result->>'initialMargin')::numeric AS ok
         FROM margin_receipt WHERE account_id = $1`,
      [trader],
    );
    expect(receipts).toHaveLength(withdrawals.length);
    expect(receipts.every((row) => row.ok)).toBe(true);
    const final = await marginAccount(dataSource, trader, T0);
    expect(final.result.status).toBe('healthy');
  });
});
