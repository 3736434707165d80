import { Decimal } from '@novation/money';
import { createTestDatabase, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { auditInvariants } from '../audit/auditor.js';
import { requestWithdrawal } from '../collateral/collateral-operations.js';
import { dataSourceOptions, migrateUp } from '../data-source.js';
import { LiquidationEntity, MarginCallEntity } from '../entities/margin.entity.js';
import { AccountEntity, MemberFirmEntity } from '../entities/membership.entity.js';
import { InstrumentEntity, VenueEntity } from '../entities/reference-data.entity.js';
import { postJournalEntry } from '../ledger.js';
import { ensureDemoParameterSet } from '../margin/demo-parameter-set.js';
import { marginAccount } from '../margin/margin-account.js';
import type { LiquidationParameters } from '../margin/parameter-set-body.js';
import { seedDemoMarket } from '../seed/demo-market.js';
import { requeueOutboxEvent } from '../outbox/outbox.js';
import { executeLiquidationStep, type LiquidationStepOutcome } from './execute-liquidation-step.js';
import { executeLiquidationSteps } from './execute-liquidation-steps.js';
import { LiquidationError } from './liquidation-error.js';

const SEED_TIME = new Date('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;
const T0 = SEED_TIME.getTime() + HOUR;
const d = (value: string | number): Decimal => new Decimal(value);

describe('liquidation execution in PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let venueId: string;
  let custodyId: string;
  const house = new Map<string, string>();
  const instrumentIds = new Map<string, string>();
  let tradeCount = 0;
  let firmCount = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = new DataSource({
      ...dataSourceOptions({
        database: { url: database.url, poolSizeMax: 5, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
      }),
      logging: false,
    });
    await dataSource.initialize();
    await migrateUp(dataSource);
    await seedDemoMarket(dataSource, SEED_TIME);
    await dataSource.transaction((manager) => ensureDemoParameterSet(manager, SEED_TIME.getTime()));
    venueId = (await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' })).id;
    for (const account of await dataSource.manager.findBy(AccountEntity, { kind: 'house' })) {
      house.set(account.houseRole as string, account.id);
    }
    custodyId = house.get('custody') as string;
    for (const instrument of await dataSource.manager.find(InstrumentEntity)) {
      instrumentIds.set(instrument.symbol, instrument.id);
    }
    for (const [underlying, price] of [
      ['BTC-USD', '98500'],
      ['ETH-USD', '3940'],
    ]) {
      await dataSource.query(
        `INSERT INTO index_price (underlying, price, observed_at, source) VALUES ($1, $2, $3, 'test')`,
        [underlying, price, new Date(T0 - 60_000)],
      );
    }
    // Entries at 100,000 and 4,000 (the positions are written directly below); marks 1.5% lower.
    await markPrice('BTC-PERP', '98500');
    await markPrice('ETH-PERP', '3940');
  });

  afterEach(async () => {
    expect(await auditInvariants(dataSource)).toEqual([]);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  /** An option's mark is its premium, with the implied volatility the margin request requires for it. */
  async function markPrice(symbol: string, price: string, impliedVolatility: number | null = null): Promise<void> {
    await dataSource.query(
      `INSERT INTO mark_price (instrument_id, price, implied_volatility, observed_at, source)
       VALUES ($1, $2, $3, $4, 'test')`,
      [instrumentIds.get(symbol), price, impliedVolatility, new Date(T0 - 60_000)],
    );
  }

  async function setLiquidationParameters(
    parameters: Omit<LiquidationParameters, 'conversionPriceAgeMsMax'> & { conversionPriceAgeMsMax?: number },
  ): Promise<void> {
    await dataSource.query(`UPDATE risk_parameter_set SET body = jsonb_set(body, '{liquidation}', $1::jsonb)`, [
      JSON.stringify(parameters),
    ]);
  }

  async function transfer(key: string, from: string, to: string, amount: Decimal, asset = 'USDC'): Promise<void> {
    if (amount.isZero()) return;
    await dataSource.transaction((manager) =>
      postJournalEntry(manager, {
        idempotencyKey: key,
        kind: 'test',
        description: 'test transfer',
        postings: [
          { accountId: to, asset, amount },
          { accountId: from, asset, amount: amount.negated() },
        ],
      }),
    );
  }

  async function balance(accountId: string, asset = 'USDC'): Promise<Decimal> {
    const rows: { balance: string }[] = await dataSource.query(
      `SELECT balance::text AS balance FROM account_balance WHERE account_id = $1 AND asset = $2`,
      [accountId, asset],
    );
    return d(rows[0]?.balance ?? '0');
  }

  /** Moves money between the custody and a house account so that it holds exactly `amount`. */
  async function setHouseBalance(role: string, amount: string, key: string, asset = 'USDC'): Promise<void> {
    const accountId = house.get(role) as string;
    const difference = d(amount).minus(await balance(accountId, asset));
    if (difference.isNegative()) await transfer(key, accountId, custodyId, difference.negated(), asset);
    else await transfer(key, custodyId, accountId, difference, asset);
  }

  async function firm(code: string): Promise<string> {
    firmCount += 1;
    const saved = await dataSource.manager.save(
      MemberFirmEntity,
      dataSource.manager.create(MemberFirmEntity, { code: `${code}${firmCount}`, name: code }),
    );
    return saved.id;
  }

  /**
   * A cross account of `firmId` (a new firm when absent) settled in `asset` and funded with `amount` of it
   * (a negative amount leaves it owing that much).
   */
  async function fundedAccount(code: string, amount: string, firmId?: string, asset = 'USDC'): Promise<string> {
    const account = await dataSource.manager.save(
      AccountEntity,
      dataSource.manager.create(AccountEntity, {
        memberFirmId: firmId ?? (await firm(code)),
        code,
        kind: 'cross',
        houseRole: null,
        settlementAsset: asset,
        isolatedInstrumentId: null,
      }),
    );
    await transfer(`test:fund:${account.id}`, custodyId, account.id, d(amount), asset);
    return account.id;
  }

  /** The symbol of the demo's coin-settled BTC option of `strike` and type ('C' or 'P'). */
  function demoOption(strike: number, type: 'C' | 'P'): string {
    const symbol = [...instrumentIds.keys()].find((candidate) => candidate.endsWith(`-${strike}-${type}`));
    if (symbol === undefined) throw new Error(`the demo market has no ${strike}-${type}`);
    return symbol;
  }

  /** A venue trade and the positions it opens (both accounts flat before), entry at the trade price. */
  async function openPositions(buyer: string, seller: string, symbol: string, quantity: string, price: string) {
    tradeCount += 1;
    const instrumentId = instrumentIds.get(symbol);
    const [trade] = (await dataSource.query(
      `INSERT INTO trade (venue_id, venue_trade_id, instrument_id, buyer_account_id, seller_account_id, quantity, price,
                          buyer_fee, seller_fee, executed_at, payload_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, $8, repeat('0', 64)) RETURNING id`,
      [venueId, `liq-test-${tradeCount}`, instrumentId, buyer, seller, quantity, price, new Date(T0 - HOUR)],
    )) as { id: string }[];
    for (const [accountId, signed] of [
      [buyer, d(quantity)],
      [seller, d(quantity).negated()],
    ] as const) {
      await dataSource.query(
        `INSERT INTO position (account_id, instrument_id, quantity, average_entry_price, last_trade_id)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (account_id, instrument_id) DO UPDATE SET quantity = position.quantity + excluded.quantity`,
        [accountId, instrumentId, signed.toFixed(), price, trade?.id],
      );
    }
  }

  async function position(accountId: string, symbol: string): Promise<string> {
    const rows: { quantity: string }[] = await dataSource.query(
      `SELECT quantity::text AS quantity FROM position WHERE account_id = $1 AND instrument_id = $2`,
      [accountId, instrumentIds.get(symbol)],
    );
    return d(rows[0]?.quantity ?? '0').toFixed();
  }

  async function liquidationOf(accountId: string): Promise<LiquidationEntity> {
    return dataSource.manager.findOneOrFail(LiquidationEntity, {
      where: { accountId },
      order: { createdAt: 'DESC' },
    });
  }

  /** Runs steps one cool-down apart until the liquidation ends; returns every outcome. */
  async function runToCompletion(liquidationId: string, startMs: number): Promise<LiquidationStepOutcome[]> {
    const outcomes: LiquidationStepOutcome[] = [];
    let now = startMs;
    for (let guard = 0; guard < 50; guard += 1) {
      const outcome = await executeLiquidationStep(dataSource, liquidationId, now);
      outcomes.push(outcome);
      if (outcome.status === 'completed' || outcome.status === 'finished') return outcomes;
      now = outcome.nextStepAtEpochMs ?? now;
    }
    throw new Error('liquidation did not end within 50 steps');
  }

  async function stepRows(liquidationId: string) {
    return (await dataSource.query(
      `SELECT step_number, kind, idempotency_key, details FROM liquidation_step WHERE liquidation_id = $1
        ORDER BY step_number`,
      [liquidationId],
    )) as { step_number: number; kind: string; idempotency_key: string; details: Record<string, unknown> }[];
  }

  it('records the breach with its outbox event in the margin run, then liquidates in slices to healthy', async () => {
    await setLiquidationParameters({
      penaltyFraction: '0.001',
      maxSliceFraction: '0.5',
      coolDownMs: 1_000,
      deficitMode: 'default-waterfall',
    });
    const long = await fundedAccount('LONG', '12000');
    const short = await fundedAccount('SHORT', '100000');
    await openPositions(long, short, 'BTC-PERP', '5', '100000');
    const insuranceBefore = await balance(house.get('insurance_fund') as string);
    const liquidationAccountBefore = await balance(house.get('liquidation') as string);

    // Equity 12,000 - 5 x 1,500 = 4,500 < MM 1% x 492,500 = 4,925.
    const breach = await marginAccount(dataSource, long, T0);
    expect(breach).toMatchObject({ previousState: 'healthy', newState: 'liquidating' });
    const liquidation = await liquidationOf(long);
    expect(liquidation).toMatchObject({ status: 'pending', triggerReceiptId: breach.receiptId, marginCallId: null });
    const events: { kind: string; dedupe_key: string; payload: unknown; status: string }[] = await dataSource.query(
      `SELECT kind, dedupe_key, payload, status FROM outbox_event WHERE kind = 'liquidation'`,
    );
    expect(events).toEqual([
      {
        kind: 'liquidation',
        dedupe_key: `liquidation-${liquidation.id}`,
        payload: { liquidationId: liquidation.id, accountId: long },
        status: 'pending',
      },
    ]);
    // A second margin run while liquidating opens nothing more.
    await marginAccount(dataSource, long, T0 + 1);
    expect(await dataSource.manager.countBy(LiquidationEntity, { accountId: long })).toBe(1);
    // While liquidating, nothing is withdrawn.
    await expect(
      requestWithdrawal(dataSource, {
        accountId: long,
        asset: 'USDC',
        amount: '1',
        idempotencyKey: 'liq-test-withdrawal',
        nowEpochMs: T0 + 2,
      }),
    ).rejects.toMatchObject({ code: 'ACCOUNT_UNDER_MARGIN_CALL' });

    // Step 1: shortfall IM 9,850 - 4,500 = 5,350 at 1,970 of IM per contract needs 2.716, capped at half
    // of 5 = 2.5, sold at 98,500 x 0.999 = 98,401.5. PnL at mark 2.5 x -1,500 = -3,750 (to the liquidation
    // account), penalty 2.5 x 98.5 = 246.25 (to the insurance fund): the account pays 3,996.25.
    const first = await executeLiquidationStep(dataSource, liquidation.id, T0 + 1_000);
    expect(first).toEqual({
      liquidationId: liquidation.id,
      accountId: long,
      status: 'slice',
      stepNumber: 1,
      nextStepAtEpochMs: T0 + 2_000,
    });
    expect((await balance(long)).toFixed()).toBe('8003.75');
    expect((await balance(house.get('insurance_fund') as string)).minus(insuranceBefore).toFixed()).toBe('246.25');
    expect((await balance(house.get('liquidation') as string)).minus(liquidationAccountBefore).toFixed()).toBe('3750');
    expect(await position(long, 'BTC-PERP')).toBe('2.5');
    const [entry] = (await dataSource.query(`SELECT kind FROM journal_entry WHERE idempotency_key = $1`, [
      `liq-${liquidation.id}-step-1`,
    ])) as { kind: string }[];
    expect(entry?.kind).toBe('liquidation');

    // Redelivered within the cool-down: a no-op.
    const again = await executeLiquidationStep(dataSource, liquidation.id, T0 + 1_500);
    expect(again).toMatchObject({ status: 'waiting', stepNumber: null, nextStepAtEpochMs: T0 + 2_000 });
    expect((await balance(long)).toFixed()).toBe('8003.75');

    // Step 2 (equity 4,253.75 < IM 4,925): 671.25 / 1,970 -> 0.341; penalty 33.5885, PnL -511.5.
    // Step 3 (equity 4,220.1615 < IM 4,253.23): 33.0685 / 1,970 -> 0.017; penalty 1.6745, PnL -25.5.
    // Step 4 (equity 4,218.487 < IM 4,219.74): one lot of 0.001; penalty 0.0985, PnL -1.5.
    // Then equity 4,218.3885 >= IM 2% x 2.141 x 98,500 = 4,217.77: healthy, step 5 completes.
    const rest = await runToCompletion(liquidation.id, T0 + 2_000);
    expect(rest.map((outcome) => [outcome.status, outcome.stepNumber])).toEqual([
      ['slice', 2],
      ['slice', 3],
      ['slice', 4],
      ['completed', 5],
    ]);
    expect(await position(long, 'BTC-PERP')).toBe('2.141');
    expect((await balance(long)).toFixed()).toBe('7429.8885');
    // Penalties 246.25 + 33.5885 + 1.6745 + 0.0985 = 281.6115.
    expect((await balance(house.get('insurance_fund') as string)).minus(insuranceBefore).toFixed()).toBe('281.6115');
    const steps = await stepRows(liquidation.id);
    expect(steps.map((step) => [step.step_number, step.kind, step.idempotency_key])).toEqual(
      [1, 2, 3, 4, 5].map((n) => [n, n === 5 ? 'final' : 'slice', `liq-${liquidation.id}-step-${n}`]),
    );
    expect(steps[1]?.details['closes']).toEqual([
      expect.objectContaining({ closeQuantity: '-0.341', executionPrice: '98401.5', penalty: '33.5885' }),
    ]);
    expect(await liquidationOf(long)).toMatchObject({ status: 'completed' });
    expect((await dataSource.manager.findOneByOrFail(AccountEntity, { id: long })).marginState).toBe('healthy');
    const accountEvents: { kind: string }[] = await dataSource.query(
      `SELECT kind FROM account_event WHERE account_id = $1 AND kind LIKE 'liquidation-%' ORDER BY id`,
      [long],
    );
    expect(accountEvents.map((event) => event.kind)).toEqual([
      'liquidation-started',
      'liquidation-step',
      'liquidation-step',
      'liquidation-step',
      'liquidation-step',
      'liquidation-completed',
    ]);

    // Redelivered after the end: a no-op.
    const finished = await executeLiquidationStep(dataSource, liquidation.id, T0 + 60_000);
    expect(finished).toMatchObject({ status: 'finished', stepNumber: null });
    expect(await stepRows(liquidation.id)).toHaveLength(5);
  });

  it('liquidates a margin call past its deadline, and marks the call liquidated', async () => {
    await setLiquidationParameters({
      penaltyFraction: '0',
      maxSliceFraction: '1',
      coolDownMs: 0,
      deficitMode: 'default-waterfall',
    });
    // Equity 15,000 - 7,500 = 7,500: below IM 9,850, above MM 4,925.
    const called = await fundedAccount('CALLED', '15000');
    await openPositions(called, await fundedAccount('CALLEDSHORT', '100000'), 'BTC-PERP', '5', '100000');
    const first = await marginAccount(dataSource, called, T0);
    expect(first.newState).toBe('margin_call');
    const beforeDeadline = await marginAccount(dataSource, called, T0 + 24 * HOUR - 1);
    expect(beforeDeadline.newState).toBe('margin_call');
    const afterDeadline = await marginAccount(dataSource, called, T0 + 24 * HOUR);
    expect(afterDeadline).toMatchObject({ previousState: 'margin_call', newState: 'liquidating' });
    const liquidation = await liquidationOf(called);
    expect(liquidation.marginCallId).toBe(first.marginCallId);

    // No penalty: 2,350 / 1,970 -> 1.193 closed at mark, then equity 7,500 >= IM 2% x 3.807 x 98,500 = 7,499.79.
    const outcomes = await runToCompletion(liquidation.id, T0 + 24 * HOUR);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['slice', 'completed']);
    expect(await position(called, 'BTC-PERP')).toBe('3.807');
    expect(
      (await dataSource.manager.findOneByOrFail(MarginCallEntity, { id: first.marginCallId as string })).status,
    ).toBe('liquidated');
    expect((await dataSource.manager.findOneByOrFail(AccountEntity, { id: called })).marginState).toBe('healthy');
    // What a subscriber of the account saw, in order: the call, the breach, the steps, the call closed by the
    // liquidation, and the way back to healthy.
    const events = (await dataSource.query(
      `SELECT kind, payload FROM account_event WHERE account_id = $1 ORDER BY id`,
      [called],
    )) as { kind: string; payload: Record<string, string | null> }[];
    expect(events.map((event) => event.kind)).toEqual([
      'margin-state-changed',
      'margin-call-opened',
      'liquidation-started',
      'margin-state-changed',
      'liquidation-step',
      'margin-call-resolved',
      'margin-state-changed',
      'liquidation-completed',
    ]);
    expect(events[5]?.payload).toMatchObject({ marginCallId: first.marginCallId, status: 'liquidated' });
    expect(events[6]?.payload).toMatchObject({ fromState: 'liquidating', toState: 'healthy' });
  });

  it('covers a deficit from the insurance fund', async () => {
    await setLiquidationParameters({
      penaltyFraction: '0.001',
      maxSliceFraction: '1',
      coolDownMs: 0,
      deficitMode: 'default-waterfall',
    });
    await setHouseBalance('insurance_fund', '10000', 'test:insurance:1');
    // Equity 6,000 - 7,500 = -1,500. All 5 sold at 98,401.5: the account pays 7,500 + 492.5 = 7,992.5 and
    // ends at -1,992.5; the fund (10,000 + 492.5) pays it.
    const bankrupt = await fundedAccount('BANKRUPT', '6000');
    await openPositions(bankrupt, await fundedAccount('BANKSHORT', '100000'), 'BTC-PERP', '5', '100000');
    await marginAccount(dataSource, bankrupt, T0);
    const liquidation = await liquidationOf(bankrupt);
    const outcomes = await runToCompletion(liquidation.id, T0);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['slice', 'completed']);
    expect((await balance(bankrupt)).toFixed()).toBe('0');
    expect((await balance(house.get('insurance_fund') as string)).toFixed()).toBe('8500');
    expect((await liquidationOf(bankrupt)).deficit.toFixed()).toBe('1992.5');
    const [final] = (await stepRows(liquidation.id)).slice(-1);
    expect(final?.details).toMatchObject({ deficit: '1992.5', uncovered: '0', newState: 'healthy' });
    const [cover] = (await dataSource.query(
      `SELECT posting.amount::text AS amount FROM posting JOIN journal_entry entry ON entry.id = posting.journal_entry_id
        WHERE entry.idempotency_key = $1 AND posting.account_id = $2`,
      [`liq-${liquidation.id}-step-2-deficit:insurance`, bankrupt],
    )) as { amount: string }[];
    expect(d(cover?.amount ?? '0').toFixed()).toBe('1992.5');
    expect((await dataSource.manager.findOneByOrFail(AccountEntity, { id: bankrupt })).marginState).toBe('healthy');
  });

  it('beyond the insurance fund, runs the default waterfall in order, the members pro rata', async () => {
    await setLiquidationParameters({
      penaltyFraction: '0.001',
      maxSliceFraction: '1',
      coolDownMs: 0,
      deficitMode: 'default-waterfall',
    });
    // Deficit 1,992.5 as above. Fund 7.5 + 492.5 penalty = 500; defaulter's other account 300; its default
    // fund share 200; CCP capital 400; the rest 592.5 from members contributing 1,000 and 3,000: 148.125
    // and 444.375.
    await setHouseBalance('insurance_fund', '7.5', 'test:insurance:2');
    await setHouseBalance('ccp_capital', '400', 'test:ccp:2');
    const defaulterFirm = await firm('DEFAULTER');
    const defaulter = await fundedAccount('DEFAULTER', '6000', defaulterFirm);
    const defaulterSpare = await fundedAccount('SPARE', '300', defaulterFirm);
    const memberOne = await firm('MEMBERONE');
    const memberTwo = await firm('MEMBERTWO');
    const defaultFund = house.get('default_fund') as string;
    for (const [firmId, amount] of [
      [defaulterFirm, '200'],
      [memberOne, '1000'],
      [memberTwo, '3000'],
    ] as const) {
      await dataSource.transaction(async (manager) => {
        const posted = await postJournalEntry(manager, {
          idempotencyKey: `test:default-fund:${firmId}`,
          kind: 'default_fund_contribution',
          description: 'test contribution',
          postings: [
            { accountId: defaultFund, asset: 'USDC', amount: d(amount) },
            { accountId: custodyId, asset: 'USDC', amount: d(amount).negated() },
          ],
        });
        await manager.query(
          `INSERT INTO default_fund_contribution (posting_id, member_firm_id)
           SELECT id, $2 FROM posting WHERE journal_entry_id = $1 AND account_id = $3`,
          [posted.journalEntryId, firmId, defaultFund],
        );
      });
    }
    await openPositions(defaulter, await fundedAccount('WATERSHORT', '100000'), 'BTC-PERP', '5', '100000');
    await marginAccount(dataSource, defaulter, T0);
    const liquidation = await liquidationOf(defaulter);
    await runToCompletion(liquidation.id, T0);

    const [final] = (await stepRows(liquidation.id)).slice(-1);
    const cover = final?.details['cover'] as { layers: { layer: string; amount: string }[] };
    expect(cover.layers.map((layer) => [layer.layer, layer.amount])).toEqual([
      ['insurance', '500'],
      ['defaulter-margin', '300'],
      ['defaulter-default-fund', '200'],
      ['ccp-capital', '400'],
      ['mutualised', '592.5'],
    ]);
    const keyBase = `liq-${liquidation.id}-step-2-deficit`;
    const entries: { idempotency_key: string; account_id: string; amount: string; member_firm_id: string | null }[] =
      await dataSource.query(
        `SELECT entry.idempotency_key, posting.account_id, posting.amount::text AS amount, tag.member_firm_id
           FROM journal_entry entry JOIN posting ON posting.journal_entry_id = entry.id
           LEFT JOIN default_fund_contribution tag ON tag.posting_id = posting.id
          WHERE entry.idempotency_key LIKE $1 ORDER BY entry.id, posting.id`,
        [`${keyBase}:%`],
      );
    expect(
      entries.map((row) => [
        row.idempotency_key.slice(keyBase.length),
        row.account_id,
        d(row.amount).toFixed(),
        row.member_firm_id,
      ]),
    ).toEqual([
      [':insurance', house.get('insurance_fund'), '-500', null],
      [':insurance', defaulter, '500', null],
      [':defaulter-margin', defaulterSpare, '-300', null],
      [':defaulter-margin', defaulter, '300', null],
      [':defaulter-default-fund', defaultFund, '-200', defaulterFirm],
      [':defaulter-default-fund', defaulter, '200', null],
      [':ccp-capital', house.get('ccp_capital'), '-400', null],
      [':ccp-capital', defaulter, '400', null],
      ...[
        [memberOne, '-148.125'],
        [memberTwo, '-444.375'],
      ]
        .sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1))
        .map(([firmId, amount]) => [':mutualised', defaultFund, amount, firmId]),
      [':mutualised', defaulter, '592.5', null],
    ]);
    expect((await balance(defaulter)).toFixed()).toBe('0');
    expect((await balance(house.get('ccp_capital') as string)).toFixed()).toBe('0');
  });

  it('beyond the insurance fund, auto-deleverages the ranked opposite side at the bankruptcy price', async () => {
    await setLiquidationParameters({
      penaltyFraction: '0.001',
      maxSliceFraction: '1',
      coolDownMs: 0,
      deficitMode: 'auto-deleveraging',
    });
    // Long 50 ETH-PERP from 4,000 with 400: equity 400 - 3,000 < 0. Sold at 3,940 x 0.999 = 3,936.06:
    // penalty 197, the account ends at 400 - 3,197 = -2,797. The fund (803 + 197 = 1,000) pays 1,000;
    // R = 1,797 is recovered on the 50 contracts the liquidation account took at 3,940: bankruptcy price
    // 3,940 + 1,797 / 50 = 3,975.94.
    await setHouseBalance('insurance_fund', '803', 'test:insurance:3');
    const adl = await fundedAccount('ADL', '400');
    const shortOne = await fundedAccount('ADLSHORTONE', '10000');
    const shortTwo = await fundedAccount('ADLSHORTTWO', '2000');
    await openPositions(adl, shortOne, 'ETH-PERP', '30', '4000');
    await openPositions(adl, shortTwo, 'ETH-PERP', '20', '4000');
    const liquidationAccount = house.get('liquidation') as string;
    const liquidationAccountBefore = await balance(liquidationAccount);
    await marginAccount(dataSource, adl, T0);
    const liquidation = await liquidationOf(adl);
    await runToCompletion(liquidation.id, T0);

    // Scores (PnL / margin x |notional| / equity): one 1,800 / 2,364 x 118,200 / 11,800; two 1,200 / 1,576
    // x 78,800 / 3,200 (higher: deleveraged first).
    const [final] = (await stepRows(liquidation.id)).slice(-1);
    const cover = final?.details['cover'] as {
      ranking: { rank: number; accountId: string; score: string }[];
      matches: { accountId: string; counterpartyCloseQuantity: string; price: string }[];
      bankruptcyPrice: string;
      recovered: string;
      uncovered: string;
    };
    const score = (pnl: number, margin: number, notional: number, equity: number) =>
      d(pnl).dividedBy(margin).times(d(notional).dividedBy(equity)).toFixed();
    expect(cover.ranking).toEqual([
      expect.objectContaining({ rank: 1, accountId: shortTwo, score: score(1200, 1576, 78800, 3200) }),
      expect.objectContaining({ rank: 2, accountId: shortOne, score: score(1800, 2364, 118200, 11800) }),
    ]);
    expect(cover.bankruptcyPrice).toBe('3975.94');
    expect(cover.matches.map((match) => [match.accountId, match.counterpartyCloseQuantity, match.price])).toEqual([
      [shortTwo, '20', '3975.94'],
      [shortOne, '30', '3975.94'],
    ]);
    expect(cover).toMatchObject({ recovered: '1797', uncovered: '0' });
    // Closed at 3,975.94: two realises 20 x 24.06 = 481.2, one 30 x 24.06 = 721.8.
    expect((await balance(shortTwo)).toFixed()).toBe('2481.2');
    expect((await balance(shortOne)).toFixed()).toBe('10721.8');
    expect(await position(shortOne, 'ETH-PERP')).toBe('0');
    expect(await position(shortTwo, 'ETH-PERP')).toBe('0');
    expect(await position(liquidationAccount, 'ETH-PERP')).toBe('0');
    expect((await balance(adl)).toFixed()).toBe('0');
    // The liquidation account received 3,000 of PnL to mark, gained 1,797 and passed it on.
    expect((await balance(liquidationAccount)).minus(liquidationAccountBefore).toFixed()).toBe('3000');
  });

  it('buys a short coin-settled option back in slices, the premium in BTC, until the account is healthy', async () => {
    await setLiquidationParameters({
      penaltyFraction: '0.01',
      maxSliceFraction: '0.5',
      coolDownMs: 1_000,
      deficitMode: 'default-waterfall',
    });
    // A BTC account short 2 of the 90,000 call (inverse: premium and margin in BTC) marked at 0.1 BTC, the
    // index at 98,500 (in the money: no out-of-the-money reduction). Standard option margin per unit:
    // IM 0.15 + 0.1, MM 0.075 + 0.1: IM 0.5, MM 0.35. Equity after the BTC haircuts (10 % IM, 5 % MM):
    // 0.45 x 0.95 - 0.2 = 0.2275 < MM.
    const call = demoOption(90_000, 'C');
    await markPrice(call, '0.1', 0.6);
    const writer = await fundedAccount('WRITER', '0.45', undefined, 'BTC');
    await openPositions(await fundedAccount('HOLDER', '10', undefined, 'BTC'), writer, call, '2', '0.1');
    const insurance = house.get('insurance_fund') as string;
    const liquidationAccount = house.get('liquidation') as string;
    const [insuranceBefore, liquidationAccountBefore] = [
      await balance(insurance, 'BTC'),
      await balance(liquidationAccount, 'BTC'),
    ];
    expect(await marginAccount(dataSource, writer, T0)).toMatchObject({ newState: 'liquidating' });
    const liquidation = await liquidationOf(writer);

    // Step 1: shortfall 0.5 - (0.45 x 0.9 - 0.2) = 0.295 at 0.25 per contract needs 1.18 -> 1.2, capped
    // at half of 2: 1 bought back at 0.1 x 1.01 = 0.101. The account pays 0.101, the liquidation account
    // receives the premium at mark 0.1, the fund 0.001.
    const first = await executeLiquidationStep(dataSource, liquidation.id, T0 + 1_000);
    expect(first).toMatchObject({ status: 'slice', stepNumber: 1 });
    expect((await balance(writer, 'BTC')).toFixed()).toBe('0.349');
    expect((await balance(insurance, 'BTC')).minus(insuranceBefore).toFixed()).toBe('0.001');
    expect((await balance(liquidationAccount, 'BTC')).minus(liquidationAccountBefore).toFixed()).toBe('0.1');
    expect(await position(writer, call)).toBe('-1');
    // The liquidation account takes the short over (it sold the buyback at mark).
    expect(await position(liquidationAccount, call)).toBe('-1');
    const [step1] = await stepRows(liquidation.id);
    expect(step1?.details['closes']).toEqual([
      {
        instrumentId: instrumentIds.get(call),
        settlementAsset: 'BTC',
        closeQuantity: '1',
        markPrice: '0.1',
        executionPrice: '0.101',
        penalty: '0.001',
        requirementReduction: '0.25',
      },
    ]);

    // Step 2: IM 0.25, equity 0.349 x 0.9 - 0.1 = 0.2141: 0.0359 / 0.25 = 0.1436 -> 0.2, paying 0.0202.
    // Then IM 0.2 <= 0.3288 x 0.9 - 0.08 = 0.21592: healthy, step 3 completes.
    const rest = await runToCompletion(liquidation.id, T0 + 2_000);
    expect(rest.map((outcome) => [outcome.status, outcome.stepNumber])).toEqual([
      ['slice', 2],
      ['completed', 3],
    ]);
    expect(await position(writer, call)).toBe('-0.8');
    expect((await balance(writer, 'BTC')).toFixed()).toBe('0.3288');
    expect((await balance(insurance, 'BTC')).minus(insuranceBefore).toFixed()).toBe('0.0012');
    expect((await balance(liquidationAccount, 'BTC')).minus(liquidationAccountBefore).toFixed()).toBe('0.12');
    expect(await position(liquidationAccount, call)).toBe('-1.2');
    expect(await liquidationOf(writer)).toMatchObject({ status: 'completed' });
    expect((await dataSource.manager.findOneByOrFail(AccountEntity, { id: writer })).marginState).toBe('healthy');
    // The options apply as option trades: the writer keeps its average premium, the liquidation account
    // holds its contracts at the mark it took them at, and neither realises PnL.
    const rows: { account_id: string; average_entry_price: string; realised_pnl: string }[] = await dataSource.query(
      `SELECT account_id, average_entry_price::text AS average_entry_price, realised_pnl::text AS realised_pnl
         FROM position WHERE instrument_id = $1 AND account_id = ANY($2::uuid[]) ORDER BY quantity`,
      [instrumentIds.get(call), [writer, liquidationAccount]],
    );
    expect(
      rows.map((row) => [row.account_id, d(row.average_entry_price).toFixed(), d(row.realised_pnl).toFixed()]),
    ).toEqual([
      [liquidationAccount, '0.1', '0'],
      [writer, '0.1', '0'],
    ]);
  });

  it('closes a perpetual and a short option of one book together, best requirement per cost first', async () => {
    await setLiquidationParameters({
      penaltyFraction: '0.01',
      maxSliceFraction: '0.5',
      coolDownMs: 1_000,
      deficitMode: 'default-waterfall',
    });
    // A USDC-settled (linear) BTC call: premium, margin and penalty in USDC, like the perpetual.
    const symbol = 'BTC-USDC-90000-C';
    const row = await dataSource.manager.save(
      InstrumentEntity,
      dataSource.manager.create(InstrumentEntity, {
        symbol,
        kind: 'option',
        settlementType: 'linear',
        underlying: 'BTC-USD',
        quoteAsset: 'USDC',
        settlementAsset: 'USDC',
        contractSize: d(1),
        expiresAt: new Date(SEED_TIME.getTime() + 60 * 24 * HOUR),
        strike: d(90_000),
        optionType: 'call',
        status: 'active',
        venueId: null,
        underlyingReference: 'spot',
        quantityStep: d('0.1'),
        priceTick: null,
      }),
    );
    instrumentIds.set(symbol, row.id);
    await markPrice(symbol, '9850', 0.6);
    // Long 1 BTC-PERP from 100,000 (IM 1,970, MM 985, PnL -1,500) and short 1 call at 9,850 = 0.1 x 98,500:
    // IM (0.15 + 0.1) x 98,500 = 24,625, MM (0.075 + 0.1) x 98,500 = 17,237.5. Equity 20,000 - 1,500 - 9,850
    // = 8,650 < MM 18,222.5; shortfall 26,595 - 8,650 = 17,945.
    const mixed = await fundedAccount('MIXED', '20000');
    const counterparty = await fundedAccount('MIXEDOTHER', '1000000');
    await openPositions(mixed, counterparty, 'BTC-PERP', '1', '100000');
    await openPositions(counterparty, mixed, symbol, '1', '9850');
    const insurance = house.get('insurance_fund') as string;
    const liquidationAccount = house.get('liquidation') as string;
    const [insuranceBefore, liquidationAccountBefore] = [await balance(insurance), await balance(liquidationAccount)];
    await marginAccount(dataSource, mixed, T0);
    const liquidation = await liquidationOf(mixed);

    // Requirement per unit of cost: the call 24,625 / 98.5 = 250, the perpetual 1,970 / 985 = 2.
    // Step 1: the call 0.5 (cap; frees 12,312.5) bought back at 9,948.5: pays 4,974.25, 4,925 at mark to the
    //   liquidation account, 49.25 to the fund; the perpetual 0.5 (cap) sold at 97,515: PnL -750 to the
    //   liquidation account, penalty 492.5. Balance 20,000 - 4,974.25 - 1,242.5 = 13,783.25.
    // Step 2: equity 13,783.25 - 750 - 4,925 = 8,108.25 against IM 13,297.5: the call 0.2 (cap of 0.5 x 0.5
    //   down to the step; pays 1,989.7, penalty 19.7), the perpetual 264.25 / 1,970 -> 0.135 (PnL -202.5,
    //   penalty 132.975). Balance 11,458.075.
    // Step 3: equity 11,458.075 - 547.5 - 2,955 = 7,955.575 against IM 8,106.55: the call 0.1 (pays 994.85,
    //   penalty 9.85). Balance 10,463.225; equity 7,945.725 >= IM 719.05 + 4,925: healthy, step 4 completes.
    const outcomes = await runToCompletion(liquidation.id, T0 + 1_000);
    expect(outcomes.map((outcome) => [outcome.status, outcome.stepNumber])).toEqual([
      ['slice', 1],
      ['slice', 2],
      ['slice', 3],
      ['completed', 4],
    ]);
    const steps = await stepRows(liquidation.id);
    const closes = (index: number) =>
      (
        steps[index]?.details['closes'] as {
          instrumentId: string;
          closeQuantity: string;
          executionPrice: string;
          penalty: string;
        }[]
      ).map((close) => [close.instrumentId, close.closeQuantity, close.executionPrice, close.penalty]);
    const [callId, perpId] = [row.id, instrumentIds.get('BTC-PERP')];
    expect(closes(0)).toEqual([
      [callId, '0.5', '9948.5', '49.25'],
      [perpId, '-0.5', '97515', '492.5'],
    ]);
    expect(closes(1)).toEqual([
      [callId, '0.2', '9948.5', '19.7'],
      [perpId, '-0.135', '97515', '132.975'],
    ]);
    expect(closes(2)).toEqual([[callId, '0.1', '9948.5', '9.85']]);
    expect((await balance(mixed)).toFixed()).toBe('10463.225');
    expect(await position(mixed, symbol)).toBe('-0.2');
    expect(await position(mixed, 'BTC-PERP')).toBe('0.365');
    expect(await position(liquidationAccount, symbol)).toBe('-0.8');
    // Penalties 49.25 + 492.5 + 19.7 + 132.975 + 9.85; premiums at mark 4,925 + 1,970 + 985 and PnL to
    // mark 750 + 202.5 to the liquidation account.
    expect((await balance(insurance)).minus(insuranceBefore).toFixed()).toBe('704.275');
    expect((await balance(liquidationAccount)).minus(liquidationAccountBefore).toFixed()).toBe('8832.5');
    // One journal entry per step, options and futures together.
    const [entries] = (await dataSource.query(
      `SELECT count(*)::int AS count FROM journal_entry WHERE idempotency_key LIKE $1`,
      [`liq-${liquidation.id}-step-%`],
    )) as { count: number }[];
    expect(entries?.count).toBe(3);
    expect((await dataSource.manager.findOneByOrFail(AccountEntity, { id: mixed })).marginState).toBe('healthy');
  });

  it('sells a book of long options to the end, then covers the deficit left', async () => {
    await setLiquidationParameters({
      penaltyFraction: '0.01',
      maxSliceFraction: '0.5',
      coolDownMs: 0,
      deficitMode: 'default-waterfall',
    });
    await setHouseBalance('insurance_fund', '1', 'test:insurance:btc', 'BTC');
    // Long 1 of the 90,000 call at 0.1 BTC, owing 0.2 BTC: equity -0.2 + 0.1 = -0.1 < MM 0.1 (a long's
    // requirement is its premium: its value backs nothing else). Each slice sells at 0.099 what the cap
    // allows: 0.5, 0.2 (half of 0.5 down to the step), then one step of 0.1 at a time, receiving 0.0495,
    // 0.0198 and 3 x 0.0099 (penalties 0.0005, 0.0002, 3 x 0.0001). The account ends flat at
    // -0.2 + 0.099 = -0.101, which the insurance fund (1 + 0.001) covers.
    const call = demoOption(90_000, 'C');
    const holder = await fundedAccount('OPTHOLDER', '-0.2', undefined, 'BTC');
    await openPositions(holder, await fundedAccount('OPTWRITER', '10', undefined, 'BTC'), call, '1', '0.1');
    const liquidationAccount = house.get('liquidation') as string;
    const liquidationAccountBefore = await balance(liquidationAccount, 'BTC');
    const liquidationPositionBefore = d(await position(liquidationAccount, call));
    expect(await marginAccount(dataSource, holder, T0)).toMatchObject({ newState: 'liquidating' });
    const liquidation = await liquidationOf(holder);
    const outcomes = await runToCompletion(liquidation.id, T0);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'slice',
      'slice',
      'slice',
      'slice',
      'slice',
      'completed',
    ]);
    const steps = await stepRows(liquidation.id);
    expect(
      steps.slice(0, 5).map((step) => (step.details['closes'] as { closeQuantity: string }[])[0]?.closeQuantity),
    ).toEqual(['-0.5', '-0.2', '-0.1', '-0.1', '-0.1']);
    expect(await position(holder, call)).toBe('0');
    expect(
      d(await position(liquidationAccount, call))
        .minus(liquidationPositionBefore)
        .toFixed(),
    ).toBe('1');
    expect((await balance(liquidationAccount, 'BTC')).minus(liquidationAccountBefore).toFixed()).toBe('-0.1');
    expect((await liquidationOf(holder)).deficit.toFixed()).toBe('0.101');
    expect(steps[5]?.details).toMatchObject({ deficit: '0.101', uncovered: '0', newState: 'healthy' });
    expect((await balance(holder, 'BTC')).toFixed()).toBe('0');
    expect((await balance(house.get('insurance_fund') as string, 'BTC')).toFixed()).toBe('0.9');
    expect((await dataSource.manager.findOneByOrFail(AccountEntity, { id: holder })).marginState).toBe('healthy');
  });

  it('under auto-deleveraging, deleverages no option: the fund covers the deficit of a long-option book', async () => {
    await setLiquidationParameters({
      penaltyFraction: '0.01',
      maxSliceFraction: '0.5',
      coolDownMs: 0,
      deficitMode: 'auto-deleveraging',
    });
    await setHouseBalance('insurance_fund', '1', 'test:insurance:btc-adl', 'BTC');
    // The book of the test above: the liquidation moves only options to the liquidation account, so there
    // is no future to deleverage and the fund pays the 0.101 alone (an option once refused the final step).
    const call = demoOption(90_000, 'C');
    const holder = await fundedAccount('ADLOPTHOLDER', '-0.2', undefined, 'BTC');
    await openPositions(holder, await fundedAccount('ADLOPTWRITER', '10', undefined, 'BTC'), call, '1', '0.1');
    await marginAccount(dataSource, holder, T0);
    const liquidation = await liquidationOf(holder);
    const outcomes = await runToCompletion(liquidation.id, T0);
    expect(outcomes.at(-1)?.status).toBe('completed');
    const [final] = (await stepRows(liquidation.id)).slice(-1);
    expect(final?.details).toMatchObject({
      deficit: '0.101',
      uncovered: '0',
      newState: 'healthy',
      cover: { mode: 'auto-deleveraging', instrumentId: null, matches: [] },
    });
    expect((await balance(house.get('insurance_fund') as string, 'BTC')).toFixed()).toBe('0.9');
  });

  /**
   * A USDC cross account holding `btc` BTC and `usdc` USDC, long 1 BTC-PERP from `perpEntry` and long 1 of
   * the demo's coin-settled 90,000 call (premium and margin in BTC) at 0.1 BTC; the index at 98,500.
   */
  async function multiAssetAccount(code: string, usdc: string, btc: string, perpEntry: string): Promise<string> {
    const call = demoOption(90_000, 'C');
    await markPrice(call, '0.1', 0.6);
    const account = await fundedAccount(code, usdc);
    await transfer(`test:fund-btc:${account}`, custodyId, account, d(btc), 'BTC');
    const counterparty = await fundedAccount(`${code}CP`, '10000000');
    await transfer(`test:fund-btc:${counterparty}`, custodyId, counterparty, d(100), 'BTC');
    await openPositions(account, counterparty, 'BTC-PERP', '1', perpEntry);
    await openPositions(account, counterparty, call, '1', '0.1');
    return account;
  }

  async function marginStateOf(accountId: string): Promise<string> {
    return (await dataSource.manager.findOneByOrFail(AccountEntity, { id: accountId })).marginState;
  }

  it('liquidates a USDC account with a coin-settled option, a perpetual and BTC to the end: closes, converts, covers', async () => {
    await setLiquidationParameters({
      penaltyFraction: '0.01',
      maxSliceFraction: '1',
      coolDownMs: 0,
      deficitMode: 'default-waterfall',
    });
    await setHouseBalance('insurance_fund', '10000', 'test:insurance:conversion');
    const insurance = house.get('insurance_fund') as string;
    const liquidationAccount = house.get('liquidation') as string;
    const before = {
      insuranceBtc: await balance(insurance, 'BTC'),
      liquidationUsdc: await balance(liquidationAccount),
      liquidationBtc: await balance(liquidationAccount, 'BTC'),
    };
    // Collateral 1,000 USDC + 0.01 BTC (985; 886.5 after the 10% IM haircut, 935.75 after the 5% MM one);
    // the perpetual from 110,000 loses 11,500 (IM 1,970, MM 985); the call is worth 0.1 BTC = 9,850, its
    // requirement (IM and MM) the same. Equity for MM 1,000 + 935.75 - 11,500 + 9,850 = 285.75 < MM 10,835.
    const call = demoOption(90_000, 'C');
    const account = await multiAssetAccount('MULTI', '1000', '0.01', '110000');
    expect(await marginAccount(dataSource, account, T0)).toMatchObject({ newState: 'liquidating' });
    const liquidation = await liquidationOf(account);
    const outcomes = await runToCompletion(liquidation.id, T0);
    expect(outcomes.map((outcome) => [outcome.status, outcome.stepNumber])).toEqual([
      ['slice', 1],
      ['slice', 2],
      ['completed', 3],
    ]);
    const steps = await stepRows(liquidation.id);
    const closes = (index: number) =>
      (
        steps[index]?.details['closes'] as {
          instrumentId: string;
          settlementAsset: string;
          closeQuantity: string;
          penalty: string;
        }[]
      ).map((close) => [close.instrumentId, close.settlementAsset, close.closeQuantity, close.penalty]);
    // Step 1: target IM 11,820 - (1,000 + 886.5 - 11,500 + 9,850) = 11,583.5. The call frees 9,850 (in
    // USDC at 98,500) for a penalty of 0.001 BTC = 98.5 per contract, the perpetual 1,970 for 985: the call
    // first, whole (1 <= cap); the perpetual 1,733.5 / 1,970 -> 0.88. The call is sold at 0.099 BTC (the
    // account receives 0.099 BTC, the liquidation account pays 0.1 at mark, the fund keeps 0.001 BTC); the
    // perpetual's PnL at mark 0.88 x -11,500 = -10,120 goes to the liquidation account, its penalty 0.88 x
    // 985 = 866.8 to the fund. USDC 1,000 - 10,986.8 = -9,986.8; BTC 0.01 + 0.099 = 0.109.
    expect(closes(0)).toEqual([
      [instrumentIds.get(call), 'BTC', '-1', '0.001'],
      [instrumentIds.get('BTC-PERP'), 'USDC', '-0.88', '866.8'],
    ]);
    expect(steps[0]?.details['penaltyByAsset']).toEqual({ BTC: '0.001', USDC: '866.8' });
    // Step 2: equity for IM -9,986.8 + 0.109 x 98,500 x 0.9 - 1,380 = -1,703.95 < IM 236.4: the last 0.12
    // of the perpetual (PnL -1,380, penalty 118.2). USDC -11,485.
    expect(closes(1)).toEqual([[instrumentIds.get('BTC-PERP'), 'USDC', '-0.12', '118.2']]);
    // Step 3, nothing left to close: the 0.109 BTC are sold to the liquidation account at the index, 98,500,
    // less 1%: value 10,736.5, the account receives 10,629.135, the fund 107.365. USDC -855.865, which the
    // insurance fund covers; the account ends flat with nothing owed, healthy.
    expect(steps[2]?.details).toMatchObject({
      deficit: '855.865',
      uncovered: '0',
      newState: 'healthy',
      conversion: {
        status: 'converted',
        conversions: [
          {
            asset: 'BTC',
            quantity: '0.109',
            price: '98500',
            executionPrice: '97515',
            settlementAmount: '10629.135',
            penalty: '107.365',
          },
        ],
        penalty: '107.365',
        indexes: [{ underlying: 'BTC-USD', price: '98500', observedAt: new Date(T0 - 60_000).toISOString() }],
      },
    });
    const entry = (await dataSource.query(
      `SELECT posting.account_id, posting.asset, posting.amount::text AS amount
         FROM journal_entry entry JOIN posting ON posting.journal_entry_id = entry.id
        WHERE entry.idempotency_key = $1 ORDER BY posting.id`,
      [`liq-${liquidation.id}-step-3`],
    )) as { account_id: string; asset: string; amount: string }[];
    expect(entry.map((row) => [row.account_id, row.asset, d(row.amount).toFixed()])).toEqual([
      [account, 'BTC', '-0.109'],
      [liquidationAccount, 'BTC', '0.109'],
      [account, 'USDC', '10629.135'],
      [liquidationAccount, 'USDC', '-10736.5'],
      [insurance, 'USDC', '107.365'],
    ]);
    expect((await balance(account)).toFixed()).toBe('0');
    expect((await balance(account, 'BTC')).toFixed()).toBe('0');
    expect(await position(account, call)).toBe('0');
    expect(await position(account, 'BTC-PERP')).toBe('0');
    // Fund: 10,000 + 866.8 + 118.2 + 107.365 - 855.865 = 10,236.5 USDC, and 0.001 BTC.
    expect((await balance(insurance)).toFixed()).toBe('10236.5');
    expect((await balance(insurance, 'BTC')).minus(before.insuranceBtc).toFixed()).toBe('0.001');
    // Liquidation account: +10,120 + 1,380 of PnL to mark, -10,736.5 for the BTC; -0.1 + 0.109 BTC.
    expect((await balance(liquidationAccount)).minus(before.liquidationUsdc).toFixed()).toBe('763.5');
    expect((await balance(liquidationAccount, 'BTC')).minus(before.liquidationBtc).toFixed()).toBe('0.009');
    expect(await liquidationOf(account)).toMatchObject({ status: 'completed' });
    expect((await liquidationOf(account)).deficit.toFixed()).toBe('855.865');
    expect(await marginStateOf(account)).toBe('healthy');
    const [completed] = (await dataSource.query(
      `SELECT payload FROM account_event WHERE account_id = $1 AND kind = 'liquidation-completed'`,
      [account],
    )) as { payload: { marginState: string; conversion: { conversions: { asset: string }[] } } }[];
    expect(completed?.payload.marginState).toBe('healthy');
    expect(completed?.payload.conversion.conversions.map((conversion) => conversion.asset)).toEqual(['BTC']);
  });

  it('converts the BTC of an account a slice made healthy while it still owes USDC', async () => {
    await setLiquidationParameters({
      penaltyFraction: '0.01',
      maxSliceFraction: '1',
      coolDownMs: 0,
      deficitMode: 'default-waterfall',
    });
    // Owing 2,500 USDC, holding 0.05 BTC (4,678.75 after the MM haircut): equity for MM -2,500 + 4,678.75
    // - 1,500 + 9,850 = 10,528.75 < MM 10,835.
    const call = demoOption(90_000, 'C');
    const account = await multiAssetAccount('HEALTHYDEBT', '-2500', '0.05', '100000');
    await marginAccount(dataSource, account, T0);
    const liquidation = await liquidationOf(account);
    const outcomes = await runToCompletion(liquidation.id, T0);
    expect(outcomes.map((outcome) => [outcome.status, outcome.stepNumber])).toEqual([
      ['slice', 1],
      ['completed', 2],
    ]);
    // Step 1: target 11,820 - 10,282.5 = 1,537.5: 0.2 of the call (1,970 freed), sold at 0.099: +0.0198 BTC.
    // Step 2: equity for IM -2,500 + 0.0698 x 98,500 x 0.9 - 1,500 + 7,880 = 10,067.77 >= IM 9,850: healthy,
    // but 2,500 USDC owed. The 0.0698 BTC (6,875.3) are sold at 97,515: +6,806.547 USDC, 68.753 to the fund.
    // USDC 4,306.547 and the positions left are healthy: equity 4,306.547 - 1,500 + 7,880 >= IM 9,850.
    const [, final] = await stepRows(liquidation.id);
    expect(final?.details).toMatchObject({
      deficit: '0',
      newState: 'healthy',
      conversion: {
        status: 'converted',
        conversions: [{ asset: 'BTC', quantity: '0.0698', settlementAmount: '6806.547', penalty: '68.753' }],
      },
    });
    expect((await balance(account)).toFixed()).toBe('4306.547');
    expect((await balance(account, 'BTC')).toFixed()).toBe('0');
    expect(await position(account, call)).toBe('0.8');
    expect(await position(account, 'BTC-PERP')).toBe('1');
    expect(await marginStateOf(account)).toBe('healthy');
  });

  it('buys a negative BTC balance back, then closes a healthy book until the USDC it owes is paid', async () => {
    await setLiquidationParameters({
      penaltyFraction: '0.01',
      maxSliceFraction: '1',
      coolDownMs: 0,
      deficitMode: 'default-waterfall',
    });
    // Owing 3,000 USDC, holding 0.01 BTC, long 1 BTC-PERP from 80,000 (+18,500, IM 1,970, MM 985) and short
    // 1 of the 90,000 call at 0.1 BTC (-9,850; IM 0.25 BTC = 24,625, MM 0.175 BTC = 17,237.5). Equity for
    // MM -3,000 + 935.75 + 18,500 - 9,850 = 6,585.75 < MM 18,222.5.
    const call = demoOption(90_000, 'C');
    await markPrice(call, '0.1', 0.6);
    const account = await fundedAccount('BTCDEBT', '-3000');
    await transfer(`test:fund-btc:${account}`, custodyId, account, d('0.01'), 'BTC');
    const counterparty = await fundedAccount('BTCDEBTCP', '10000000');
    await transfer(`test:fund-btc:${counterparty}`, custodyId, counterparty, d(100), 'BTC');
    await openPositions(account, counterparty, 'BTC-PERP', '1', '80000');
    await openPositions(counterparty, account, call, '1', '0.1');
    await marginAccount(dataSource, account, T0);
    const liquidation = await liquidationOf(account);
    const outcomes = await runToCompletion(liquidation.id, T0);
    expect(outcomes.map((outcome) => [outcome.status, outcome.stepNumber])).toEqual([
      ['slice', 1],
      ['slice', 2],
      ['slice', 3],
      ['completed', 4],
    ]);
    const steps = await stepRows(liquidation.id);
    const closes = (index: number) =>
      (steps[index]?.details['closes'] as { instrumentId: string; closeQuantity: string }[]).map((close) => [
        close.instrumentId,
        close.closeQuantity,
      ]);
    // Step 1: target 26,595 - 6,536.5 = 20,058.5; the buy-back frees 24,625 per contract for 98.5: 0.9 of
    // the call bought back at 0.101, paid 0.0909 BTC from 0.01: BTC -0.0809.
    expect(closes(0)).toEqual([[instrumentIds.get(call), '0.9']]);
    // Step 2: equity for IM -3,000 - 7,968.65 (BTC owed, no haircut) + 18,500 - 985 = 6,546.35 >= IM
    // 4,432.5: healthy, owing BTC and USDC. The BTC is bought back at 98,500 x 1.01: 7,968.65 x 1.01 =
    // 8,048.3365 (fund 79.6865); USDC -11,048.3365 with positions left: a step of its own.
    expect(steps[1]?.details).toMatchObject({
      closes: [],
      conversion: {
        status: 'converted',
        conversions: [
          {
            asset: 'BTC',
            quantity: '-0.0809',
            price: '98500',
            executionPrice: '99485',
            settlementAmount: '-8048.3365',
            penalty: '79.6865',
          },
        ],
      },
    });
    // Step 3: still healthy, but the USDC owed (11,048.3365) can only be paid by closing: the target is the
    // debt. The rest of the call (0.1, paid 0.0101 BTC: BTC -0.0101) and the whole perpetual (+18,500 at
    // mark, 985 of penalty): USDC -11,048.3365 + 17,515 = 6,466.6635.
    expect(closes(2)).toEqual([
      [instrumentIds.get(call), '0.1'],
      [instrumentIds.get('BTC-PERP'), '-1'],
    ]);
    // Step 4: flat, owing 0.0101 BTC: bought back for 994.85 x 1.01 = 1,004.7985. USDC 5,461.865, healthy.
    expect(steps[3]?.details).toMatchObject({
      deficit: '0',
      newState: 'healthy',
      conversion: { conversions: [{ asset: 'BTC', quantity: '-0.0101', settlementAmount: '-1004.7985' }] },
    });
    expect((await balance(account)).toFixed()).toBe('5461.865');
    expect((await balance(account, 'BTC')).toFixed()).toBe('0');
    expect(await marginStateOf(account)).toBe('healthy');
    // One journal entry per step, each under the step's key (the conversion of step 4 included).
    const [entries] = (await dataSource.query(
      `SELECT count(*)::int AS count FROM journal_entry WHERE idempotency_key LIKE $1`,
      [`liq-${liquidation.id}-step-%`],
    )) as { count: number }[];
    expect(entries?.count).toBe(4);
  });

  it('never converts at a stale price, and liquidates again once a fresh one arrives', async () => {
    await setLiquidationParameters({
      penaltyFraction: '0.01',
      maxSliceFraction: '1',
      coolDownMs: 0,
      deficitMode: 'default-waterfall',
    });
    // The book of the test above, liquidated 10 minutes after the last BTC-USD index (observed at T0 - 1
    // min): older than CONVERSION_PRICE_AGE_MS_MAX (5 minutes), so the BTC is not sold and the USDC debt
    // stays, with the account in 'liquidating'.
    const later = T0 + 10 * 60_000;
    const stale = await multiAssetAccount('STALE', '-2500', '0.05', '100000');
    await marginAccount(dataSource, stale, later);
    const liquidation = await liquidationOf(stale);
    const outcomes = await runToCompletion(liquidation.id, later);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['slice', 'completed']);
    const [, final] = await stepRows(liquidation.id);
    expect(final?.details).toMatchObject({
      deficit: '0',
      uncovered: '0',
      newState: 'liquidating',
      conversion: {
        status: 'refused',
        refusals: [
          {
            asset: 'BTC',
            reason: `BTC-USD last observed ${new Date(T0 - 60_000).toISOString()}, more than 300000 ms ago`,
          },
        ],
      },
    });
    expect((await balance(stale)).toFixed()).toBe('-2500');
    expect((await balance(stale, 'BTC')).toFixed()).toBe('0.0698');
    expect(await liquidationOf(stale)).toMatchObject({ status: 'completed' });
    expect(await marginStateOf(stale)).toBe('liquidating');
    // Margin runs while the price is still stale open nothing more...
    await marginAccount(dataSource, stale, later + 1_000);
    expect((await liquidationOf(stale)).id).toBe(liquidation.id);
    // ...but once a fresh index arrives, the next one liquidates again, and that one converts the BTC:
    // 0.0698 BTC at 98,000 is 6,840.4 USDC, less the 1% penalty 6,771.996, which pays the 2,500 owed.
    await dataSource.query(
      `INSERT INTO index_price (underlying, price, observed_at, source) VALUES ('BTC-USD', '98000', $1, 'test')`,
      [new Date(later + 2_000)],
    );
    await marginAccount(dataSource, stale, later + 3_000);
    const retry = await liquidationOf(stale);
    expect(retry.id).not.toBe(liquidation.id);
    expect((await runToCompletion(retry.id, later + 3_000)).map((outcome) => outcome.status)).toEqual(['completed']);
    expect((await balance(stale, 'BTC')).toFixed()).toBe('0');
    expect((await balance(stale)).toFixed()).toBe('4271.996');
    expect(await marginStateOf(stale)).toBe('healthy');
    // Healthy now: a further run opens nothing.
    await marginAccount(dataSource, stale, later + 4_000);
    expect((await liquidationOf(stale)).id).toBe(retry.id);

    // A caller replaying a market on a simulated clock accepts older prices explicitly: then it converts.
    const replayed = await multiAssetAccount('REPLAYED', '-2500', '0.05', '100000');
    await marginAccount(dataSource, replayed, later);
    const replayedLiquidation = await liquidationOf(replayed);
    expect((await executeLiquidationStep(dataSource, replayedLiquidation.id, later)).status).toBe('slice');
    const final2 = await executeLiquidationStep(dataSource, replayedLiquidation.id, later, {
      conversionPriceAgeMsMax: HOUR,
    });
    expect(final2.status).toBe('completed');
    expect((await balance(replayed)).toFixed()).toBe('4306.547');
    expect(await marginStateOf(replayed)).toBe('healthy');
  });

  it('batches claimed liquidations, and leaves a claimed cover it cannot batch to its own job when asked', async () => {
    await setLiquidationParameters({
      penaltyFraction: '0.001',
      maxSliceFraction: '1',
      coolDownMs: 0,
      deficitMode: 'default-waterfall',
    });
    // No fund and no capital: the waterfall reaches the default-fund layers or leaves the deficit uncovered,
    // neither of which a batch writes.
    await setHouseBalance('insurance_fund', '0', 'test:insurance:claims');
    await setHouseBalance('ccp_capital', '0', 'test:capital:claims');
    const bankrupt = await fundedAccount('CLAIMED', '6000');
    await openPositions(bankrupt, await fundedAccount('CLAIMEDSHORT', '100000'), 'BTC-PERP', '5', '100000');
    await marginAccount(dataSource, bankrupt, T0);
    const liquidation = await liquidationOf(bankrupt);
    // Claimed (not given): its slice is batched.
    const first = await executeLiquidationSteps(dataSource, [], T0, { claimDue: 10, stepDeferredClaims: false });
    expect(first.outcomes.get(liquidation.id)?.status).toBe('slice');
    // Its final step's cover is not batched: left to its own job...
    const second = await executeLiquidationSteps(dataSource, [], T0, { claimDue: 10, stepDeferredClaims: false });
    expect(second.outcomes.has(liquidation.id)).toBe(false);
    expect(second.failures.size).toBe(0);
    expect((await stepRows(liquidation.id)).map((row) => row.kind)).toEqual(['slice']);
    // ...or stepped one by one after the batch by default.
    const third = await executeLiquidationSteps(dataSource, [], T0, { claimDue: 10 });
    expect(third.outcomes.get(liquidation.id)?.status).toBe('completed');
    expect((await liquidationOf(bankrupt)).deficit.toFixed()).toBe('1992.5');
    const [final] = (await stepRows(liquidation.id)).slice(-1);
    expect(final?.details).toMatchObject({ deficit: '1992.5', cover: { mode: 'default-waterfall' } });
  });

  it('covers deficits in the batch through the waterfall, the fund and capital followed from cover to cover', async () => {
    await setLiquidationParameters({
      penaltyFraction: '0.001',
      maxSliceFraction: '1',
      coolDownMs: 0,
      deficitMode: 'default-waterfall',
    });
    await setHouseBalance('insurance_fund', '1000', 'test:insurance:batched-cover');
    await setHouseBalance('ccp_capital', '5000', 'test:capital:batched-cover');
    // Two accounts as in 'covers a deficit from the insurance fund': each slice pays 492.5 of penalty into
    // the fund and leaves a deficit of 1,992.5.
    const bankrupts: string[] = [];
    for (const code of ['BATCHCOVER-A', 'BATCHCOVER-B']) {
      const bankrupt = await fundedAccount(code, '6000');
      await openPositions(bankrupt, await fundedAccount(`${code}-SHORT`, '100000'), 'BTC-PERP', '5', '100000');
      await marginAccount(dataSource, bankrupt, T0);
      bankrupts.push(bankrupt);
    }
    const ids = await Promise.all(bankrupts.map(async (id) => (await liquidationOf(id)).id));
    const slices = await executeLiquidationSteps(dataSource, ids, T0);
    expect(ids.map((id) => slices.outcomes.get(id)?.status)).toEqual(['slice', 'slice']);
    const finals = await executeLiquidationSteps(dataSource, ids, T0);
    expect(ids.map((id) => finals.outcomes.get(id)?.status)).toEqual(['completed', 'completed']);
    expect(finals.batchErrors).toEqual([]);
    // Both final steps in the batch's one transaction (a deferred cover would have had its own).
    const writers = (await dataSource.query(
      `SELECT count(DISTINCT xmin::text)::int AS writers FROM liquidation_step
        WHERE liquidation_id = ANY($1::uuid[]) AND kind = 'final'`,
      [ids],
    )) as { writers: number }[];
    expect(writers).toEqual([{ writers: 1 }]);
    // In id order: the fund (1,000 + 985 of penalties) pays 1,985 of the first deficit, the capital 7.5;
    // the capital pays all of the second. Nothing uncovered, both accounts healthy and flat.
    const [first, second] = [...ids].sort();
    const coverOf = async (id: string | undefined) => (await stepRows(id ?? '')).slice(-1)[0]?.details['cover'];
    expect(await coverOf(first)).toMatchObject({
      covered: '1992.5',
      uncovered: '0',
      layers: expect.arrayContaining([
        expect.objectContaining({ layer: 'insurance', available: '1985', amount: '1985' }),
        expect.objectContaining({ layer: 'ccp-capital', available: '5000', amount: '7.5' }),
      ]),
    });
    expect(await coverOf(second)).toMatchObject({
      covered: '1992.5',
      uncovered: '0',
      layers: expect.arrayContaining([
        expect.objectContaining({ layer: 'insurance', available: '0', amount: '0' }),
        expect.objectContaining({ layer: 'ccp-capital', available: '4992.5', amount: '1992.5' }),
      ]),
    });
    expect((await balance(house.get('insurance_fund') as string)).toFixed()).toBe('0');
    expect((await balance(house.get('ccp_capital') as string)).toFixed()).toBe('3000');
    for (const bankrupt of bankrupts) {
      expect((await balance(bankrupt)).toFixed()).toBe('0');
      expect((await dataSource.manager.findOneByOrFail(AccountEntity, { id: bankrupt })).marginState).toBe('healthy');
    }
  });

  it('fails a liquidation whose outbox event fails for good: no longer stepped, nor claimed by a batch', async () => {
    await setLiquidationParameters({
      penaltyFraction: '0.001',
      maxSliceFraction: '1',
      coolDownMs: 0,
      deficitMode: 'default-waterfall',
    });
    const stuck = await fundedAccount('STUCK', '6000');
    await openPositions(stuck, await fundedAccount('STUCKSHORT', '100000'), 'BTC-PERP', '5', '100000');
    await marginAccount(dataSource, stuck, T0);
    const liquidation = await liquidationOf(stuck);
    const [event] = (await dataSource.query(
      `SELECT id::text AS id FROM outbox_event WHERE kind = 'liquidation' AND payload->>'liquidationId' = $1`,
      [liquidation.id],
    )) as { id: string }[];
    // Dispatched once, its job lost or failed: at a limit of one dispatch, the event fails for good.
    await dataSource.query(
      `UPDATE outbox_event SET status = 'enqueued', attempts = 1, enqueued_at = now() WHERE id = $1`,
      [event?.id],
    );
    const options = { reason: 'job failed: boom', dispatchAttemptsMax: 1 };
    expect(await requeueOutboxEvent(dataSource.manager, event?.id ?? '', options)).toBe('failed');
    expect((await liquidationOf(stuck)).status).toBe('failed');
    expect((await executeLiquidationStep(dataSource, liquidation.id, T0)).status).toBe('finished');
    const batch = await executeLiquidationSteps(dataSource, [], T0, { claimDue: 10 });
    expect(batch.outcomes.has(liquidation.id)).toBe(false);
    expect(await stepRows(liquidation.id)).toEqual([]);
    // Left for an operator: the account stays frozen in 'liquidating'.
    expect((await dataSource.manager.findOneByOrFail(AccountEntity, { id: stuck })).marginState).toBe('liquidating');
  });

  it('refuses an unknown liquidation with a typed error', async () => {
    await expect(executeLiquidationStep(dataSource, '00000000-0000-4000-8000-000000000000', T0)).rejects.toBeInstanceOf(
      LiquidationError,
    );
    await expect(executeLiquidationStep(dataSource, 'nope', T0)).rejects.toMatchObject({
      code: 'UNKNOWN_LIQUIDATION',
    });
  });
});
