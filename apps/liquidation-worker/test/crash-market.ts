import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { QueueName } from '@novation/jobs';
import { Decimal } from '@novation/money';
import {
  AccountEntity,
  InstrumentEntity,
  MemberFirmEntity,
  VenueEntity,
  auditInvariants,
  postJournalEntry,
  publishMarketData,
  publishMarketDataAndRecordChecks,
  seedDemoMarket,
  submitTrades,
  type AuditViolation,
} from '@novation/persistence';
import { inverseOptionValue } from '@novation/risk';
import { Queue } from 'bullmq';
import type { DataSource } from 'typeorm';

/**
 * The crash replay of issue 6: a book of member accounts with realistic leverage on BTC and ETH
 * perpetuals, the dated BTC future and BTC options, built through the real ledger and trade paths (deposits
 * are journal entries from custody, positions come from novated venue trades against market makers, so the
 * auditor's "positions equal trades plus liquidation fills" holds); a driver that lowers BTC-USD and
 * ETH-USD by 40% in K steps over a simulated 10 minutes through publishMarketDataAndRecordChecks; a
 * queue-lag sampler; and a verifier that replays every account's margin receipts to check that each breach
 * got exactly one liquidation and nothing else did.
 *
 * Options: the demo options are inverse (BTC-settled). The options accounts here hold a leveraged BTC-PERP
 * long plus long puts or calls paid in BTC, and a little BTC: the options change their equity (puts gain,
 * calls lose in the fall) and margin (Deribit-style option margin). A liquidated options account is closed
 * in both assets (the options' premium in BTC, the perpetual's PnL in USDC); then its BTC is converted into
 * USDC at the BTC-USD index less the penalty (collateral conversion) before a USDC deficit is covered. A
 * conversion only uses an index no older than the worker's bound (CONVERSION_PRICE_AGE_MS_MAX, 5 minutes,
 * unless the worker passes another): this replay's observations run up to ~10 minutes behind the worker's
 * clock, so an account whose liquidation ends early in the crash keeps its BTC and its negative USDC
 * balance in 'liquidating' (accountsLeftLiquidating counts them) rather than being converted at that age.
 */

/** Market-data policy of the replay: moves of up to 40% per publication (option premiums move a lot). */
const POLICY = { maxAgeMs: 3_600_000, maxFutureSkewMs: 5_000, bandFraction: '5' } as const;
const SOURCE = 'crash-replay';
/** Trades per submitTrades batch (TRADES_PER_BATCH_MAX is 1,000). */
const TRADES_PER_BATCH = 500;
/** Journal entries per deposit transaction. */
const DEPOSITS_PER_TRANSACTION = 500;
const BTC_START = new Decimal(100_000);
const ETH_START = new Decimal(4_000);
/** The dated future trades at a small premium to the index (carry). */
const FUTURE_BASIS = new Decimal('1.005');
const OPTION_VOLATILITY = 0.6;
const CRASH_FRACTION = new Decimal('0.4');
const SIMULATED_CRASH_MS = 10 * 60_000;
const MARKET_MAKERS = 4;
const YEAR_MS = 365.25 * 24 * 3_600_000;

export interface CrashLiquidationParameters {
  readonly penaltyFraction: string;
  readonly maxSliceFraction: string;
  readonly coolDownMs: number;
  readonly deficitMode: 'auto-deleveraging' | 'default-waterfall';
  /** Default: the market-data policy's age bound, since the replay stamps prices up to 10 minutes back. */
  readonly conversionPriceAgeMsMax?: number;
}

export interface CrashMarketOptions {
  readonly accounts: number;
  readonly seed: number;
  readonly liquidation: CrashLiquidationParameters;
  /** USDC in the insurance fund before the crash (small: the waterfall or ADL must take over). */
  readonly insuranceFundUsdc: string;
  /** USDC of the clearinghouse's own capital (a waterfall layer). */
  readonly ccpCapitalUsdc: string;
}

export type AccountProfile = 'long' | 'short' | 'hedged' | 'options';

export interface CrashAccount {
  readonly id: string;
  readonly profile: AccountProfile;
  readonly leverage: number;
  readonly instrument: string;
}

export interface CrashMarket {
  readonly accounts: readonly CrashAccount[];
  readonly marketMakers: readonly string[];
  /** Member firms' spare accounts (USDC, no position): the defaulter-margin layer of the waterfall. */
  readonly reserveAccounts: readonly string[];
  readonly trades: number;
  /** Publishes step `step` of `steps` (0 = the start, steps = 40% down) observed at `observedAtEpochMs`. */
  publishStep(step: number, steps: number, observedAtEpochMs: number): Promise<{ readonly marginCheckEvents: number }>;
}

/** mulberry32: a tiny seeded PRNG, so a book is reproducible from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Instruments {
  readonly btcPerp: string;
  readonly ethPerp: string;
  readonly btcFuture: string;
  readonly futureExpiryEpochMs: number;
  readonly options: readonly { id: string; strike: number; optionType: 'call' | 'put' }[];
}

interface PlannedTrade {
  readonly instrumentId: string;
  readonly buyer: string;
  readonly seller: string;
  readonly quantity: string;
  readonly price: string;
}

/** Prices of step `step` of `steps`: BTC and ETH fall linearly to 60% of where they started. */
export function crashPrices(step: number, steps: number): { btc: Decimal; eth: Decimal } {
  const fall = CRASH_FRACTION.times(step).dividedBy(steps);
  return {
    btc: BTC_START.times(new Decimal(1).minus(fall)).toDecimalPlaces(2),
    eth: ETH_START.times(new Decimal(1).minus(fall)).toDecimalPlaces(2),
  };
}

/**
 * Builds the book. Times: the parameter set and reference data from 2 h before now, the opening prices and
 * trades 1 h before now, so a crash replayed over the last ~10 minutes has strictly later observations.
 */
export async function buildCrashMarket(dataSource: DataSource, options: CrashMarketOptions): Promise<CrashMarket> {
  const nowEpochMs = Date.now();
  const seedTime = new Date(nowEpochMs - 2 * 3_600_000);
  const openingEpochMs = nowEpochMs - 3_600_000;
  await seedDemoMarket(dataSource, seedTime);
  await dataSource.query(`UPDATE risk_parameter_set SET body = jsonb_set(body, '{liquidation}', $1::jsonb)`, [
    JSON.stringify({ conversionPriceAgeMsMax: POLICY.maxAgeMs, ...options.liquidation }),
  ]);
  const instruments = await loadInstruments(dataSource);
  const venueId = (await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' })).id;
  const custodyId = (await dataSource.manager.findOneByOrFail(AccountEntity, { houseRole: 'custody' })).id;
  const houseId = async (houseRole: 'insurance_fund' | 'ccp_capital') =>
    (await dataSource.manager.findOneByOrFail(AccountEntity, { houseRole })).id;

  const publishAt = (step: number, steps: number, observedAtEpochMs: number) =>
    marketDataBatch(instruments, step, steps, observedAtEpochMs);
  const opened = await publishMarketData(dataSource, publishAt(0, 1, openingEpochMs), {
    ...POLICY,
    nowEpochMs: openingEpochMs,
  });
  if (opened.rejectedCount > 0) throw new Error('the opening prices were refused');

  const random = seededRandom(options.seed);
  const marketMakers: string[] = [];
  for (let index = 0; index < MARKET_MAKERS; index += 1) {
    marketMakers.push(await createAccount(dataSource, `CRASH-MM${index + 1}`, 'main'));
  }
  const deposits: { accountId: string; asset: string; amount: Decimal; key: string }[] = [];
  for (const mm of marketMakers) {
    deposits.push({ accountId: mm, asset: 'USDC', amount: new Decimal('10000000000'), key: `crash:mm:${mm}:USDC` });
    deposits.push({ accountId: mm, asset: 'BTC', amount: new Decimal('100000'), key: `crash:mm:${mm}:BTC` });
  }
  deposits.push({
    accountId: await houseId('insurance_fund'),
    asset: 'USDC',
    amount: new Decimal(options.insuranceFundUsdc),
    key: 'crash:insurance-fund',
  });
  deposits.push({
    accountId: await houseId('ccp_capital'),
    asset: 'USDC',
    amount: new Decimal(options.ccpCapitalUsdc),
    key: 'crash:ccp-capital',
  });

  const firmRows = Array.from({ length: options.accounts }, (_, index) => ({
    code: `CRASH-${String(index).padStart(6, '0')}`,
    name: `Crash replay member ${index}`,
  }));
  const firmIds: string[] = [];
  for (let start = 0; start < firmRows.length; start += 1_000) {
    const inserted = await dataSource.manager.insert(MemberFirmEntity, firmRows.slice(start, start + 1_000));
    firmIds.push(...inserted.identifiers.map((identifier) => String(identifier['id'])));
  }
  const accountRows = firmIds.map((memberFirmId) => memberAccountRow(memberFirmId, 'main'));
  const accountIds = await insertAccounts(dataSource, accountRows);
  // One firm in ten keeps a spare funded account: the waterfall's defaulter-margin layer.
  const reserveFirms = firmIds.filter((_, index) => index % 10 === 3);
  const reserveAccounts = await insertAccounts(
    dataSource,
    reserveFirms.map((memberFirmId) => memberAccountRow(memberFirmId, 'reserve')),
  );
  for (const reserve of reserveAccounts) {
    deposits.push({ accountId: reserve, asset: 'USDC', amount: new Decimal(2_000), key: `crash:reserve:${reserve}` });
  }

  const opening = crashPrices(0, 1);
  const futurePrice = opening.btc.times(FUTURE_BASIS).toDecimalPlaces(2);
  const optionPrices = new Map(
    instruments.options.map((option) => [option.id, optionPremium(instruments, option, opening.btc, openingEpochMs)]),
  );
  const accounts: CrashAccount[] = [];
  const trades: PlannedTrade[] = [];
  accountIds.forEach((accountId, index) => {
    const mm = marketMakers[index % MARKET_MAKERS] as string;
    const draw = random();
    const profile: AccountProfile = draw < 0.45 ? 'long' : draw < 0.75 ? 'short' : draw < 0.9 ? 'hedged' : 'options';
    const leverage = 2 + Math.floor(random() * 19);
    const notional = new Decimal(5_000 + Math.floor(random() * 195_000));
    const onEth = profile !== 'options' && profile !== 'hedged' && random() < 0.4;
    const onFuture = !onEth && profile !== 'hedged' && random() < 0.2;
    const [instrumentId, price, symbol] = onEth
      ? [instruments.ethPerp, opening.eth, 'ETH-PERP']
      : onFuture
        ? [instruments.btcFuture, futurePrice, 'BTC-FUTURE']
        : [instruments.btcPerp, opening.btc, 'BTC-PERP'];
    const quantity = notional.dividedBy(price).toDecimalPlaces(3, Decimal.ROUND_DOWN);
    const margin = notional.dividedBy(leverage).toDecimalPlaces(2, Decimal.ROUND_UP);
    deposits.push({ accountId, asset: 'USDC', amount: margin, key: `crash:deposit:${accountId}:USDC` });
    const trade = (instrument: string, long: boolean, size: Decimal, at: Decimal): PlannedTrade => ({
      instrumentId: instrument,
      buyer: long ? accountId : mm,
      seller: long ? mm : accountId,
      quantity: size.toFixed(),
      price: at.toFixed(),
    });
    switch (profile) {
      case 'long':
      case 'short':
        trades.push(trade(instrumentId, profile === 'long', quantity, price));
        break;
      case 'hedged':
        // Long the perpetual, short most of it in the dated future: a basis position.
        trades.push(trade(instruments.btcPerp, true, quantity, opening.btc));
        trades.push(
          trade(
            instruments.btcFuture,
            false,
            quantity.times(0.5 + random() * 0.5).toDecimalPlaces(3, Decimal.ROUND_DOWN),
            futurePrice,
          ),
        );
        break;
      case 'options': {
        trades.push(trade(instruments.btcPerp, true, quantity, opening.btc));
        const option = instruments.options[Math.floor(random() * instruments.options.length)];
        if (option === undefined) throw new Error('the demo market lists no option');
        const contracts = new Decimal(1 + Math.floor(random() * 10)).dividedBy(10);
        const premium = optionPrices.get(option.id) as Decimal;
        trades.push(trade(option.id, true, contracts, premium));
        // The premium is paid in BTC: the account holds BTC collateral to pay it, with room to spare.
        deposits.push({
          accountId,
          asset: 'BTC',
          amount: premium.times(contracts).times(2).plus('0.001').toDecimalPlaces(8, Decimal.ROUND_UP),
          key: `crash:deposit:${accountId}:BTC`,
        });
        break;
      }
    }
    accounts.push({
      id: accountId,
      profile,
      leverage,
      instrument: profile === 'long' || profile === 'short' ? symbol : profile,
    });
  });

  await postDeposits(dataSource, custodyId, deposits);
  await submitInBatches(dataSource, venueId, trades, openingEpochMs, nowEpochMs);
  return {
    accounts,
    marketMakers,
    reserveAccounts,
    trades: trades.length,
    publishStep: async (step, steps, observedAtEpochMs) => {
      const published = await publishMarketDataAndRecordChecks(dataSource, publishAt(step, steps, observedAtEpochMs), {
        ...POLICY,
        nowEpochMs: observedAtEpochMs,
      });
      if (published.rejectedCount > 0) {
        const refused = [...published.indexPrices, ...published.markPrices].filter((result) => !result.accepted);
        throw new Error(`crash step ${step} refused: ${JSON.stringify(refused)}`);
      }
      return { marginCheckEvents: published.marginChecks.eventIds.length };
    },
  };
}

function memberAccountRow(memberFirmId: string, code: string) {
  return {
    memberFirmId,
    code,
    kind: 'cross' as const,
    houseRole: null,
    settlementAsset: 'USDC',
    isolatedInstrumentId: null,
  };
}

async function insertAccounts(
  dataSource: DataSource,
  rows: readonly ReturnType<typeof memberAccountRow>[],
): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < rows.length; start += 1_000) {
    const inserted = await dataSource.manager.insert(AccountEntity, rows.slice(start, start + 1_000));
    ids.push(...inserted.identifiers.map((identifier) => String(identifier['id'])));
  }
  return ids;
}

async function createAccount(dataSource: DataSource, firmCode: string, code: string): Promise<string> {
  const firm = await dataSource.manager.save(MemberFirmEntity, { code: firmCode, name: firmCode });
  return (await insertAccounts(dataSource, [memberAccountRow(firm.id, code)]))[0] as string;
}

async function loadInstruments(dataSource: DataSource): Promise<Instruments> {
  const rows = await dataSource.manager.find(InstrumentEntity, { order: { symbol: 'ASC' } });
  const bySymbol = (symbol: string) => {
    const row = rows.find((candidate) => candidate.symbol === symbol);
    if (row === undefined) throw new Error(`the demo market has no ${symbol}`);
    return row;
  };
  const future = rows.find((row) => row.kind === 'future' && row.underlying === 'BTC-USD');
  if (future?.expiresAt === null || future?.expiresAt === undefined) throw new Error('the demo market has no future');
  return {
    btcPerp: bySymbol('BTC-PERP').id,
    ethPerp: bySymbol('ETH-PERP').id,
    btcFuture: future.id,
    futureExpiryEpochMs: future.expiresAt.getTime(),
    options: rows
      .filter((row) => row.kind === 'option' && row.underlying === 'BTC-USD')
      .map((row) => ({
        id: row.id,
        strike: Number(row.strike?.toFixed() ?? '0'),
        optionType: row.optionType === 'put' ? ('put' as const) : ('call' as const),
      })),
  };
}

/** The inverse option's premium in BTC (Black-76 with the index as forward, r = 0), 8 dp, at least 1e-8. */
function optionPremium(
  instruments: Instruments,
  option: Instruments['options'][number],
  btc: Decimal,
  atEpochMs: number,
): Decimal {
  const value = inverseOptionValue({
    optionType: option.optionType,
    underlyingPrice: Number(btc.toFixed()),
    strikePrice: option.strike,
    timeToExpiryYears: (instruments.futureExpiryEpochMs - atEpochMs) / YEAR_MS,
    volatility: OPTION_VOLATILITY,
    riskFreeRate: 0,
    dividendYield: 0,
  });
  return Decimal.max(new Decimal(value.toFixed(8)), new Decimal('0.00000001'));
}

function marketDataBatch(instruments: Instruments, step: number, steps: number, observedAtEpochMs: number) {
  const { btc, eth } = crashPrices(step, steps);
  const at = (price: Decimal) => ({ price: price.toFixed(), observedAtEpochMs });
  return {
    source: SOURCE,
    indexPrices: [
      { underlying: 'BTC-USD', ...at(btc) },
      { underlying: 'ETH-USD', ...at(eth) },
    ],
    markPrices: [
      { instrumentId: instruments.btcPerp, ...at(btc) },
      { instrumentId: instruments.ethPerp, ...at(eth) },
      { instrumentId: instruments.btcFuture, ...at(btc.times(FUTURE_BASIS).toDecimalPlaces(2)) },
      ...instruments.options.map((option) => ({
        instrumentId: option.id,
        impliedVolatility: OPTION_VOLATILITY,
        ...at(optionPremium(instruments, option, btc, observedAtEpochMs)),
      })),
    ],
  };
}

async function postDeposits(
  dataSource: DataSource,
  custodyId: string,
  deposits: readonly { accountId: string; asset: string; amount: Decimal; key: string }[],
): Promise<void> {
  for (let start = 0; start < deposits.length; start += DEPOSITS_PER_TRANSACTION) {
    await dataSource.transaction(async (manager) => {
      for (const deposit of deposits.slice(start, start + DEPOSITS_PER_TRANSACTION)) {
        if (deposit.amount.isZero()) continue; // a layer left empty on purpose
        await postJournalEntry(manager, {
          idempotencyKey: deposit.key,
          kind: 'deposit',
          description: `crash replay deposit of ${deposit.amount.toFixed()} ${deposit.asset}`,
          postings: [
            { accountId: deposit.accountId, asset: deposit.asset, amount: deposit.amount },
            { accountId: custodyId, asset: deposit.asset, amount: deposit.amount.negated() },
          ],
        });
      }
    });
  }
}

async function submitInBatches(
  dataSource: DataSource,
  venueId: string,
  trades: readonly PlannedTrade[],
  executedAtEpochMs: number,
  nowEpochMs: number,
): Promise<void> {
  for (let start = 0; start < trades.length; start += TRADES_PER_BATCH) {
    const batch = trades.slice(start, start + TRADES_PER_BATCH);
    const result = await submitTrades(dataSource, {
      venueId,
      mode: 'atomic',
      nowEpochMs,
      trades: batch.map((trade, index) => ({
        venueId,
        tradeId: `CRASH-${start + index}`,
        instrumentId: trade.instrumentId,
        buyerAccountId: trade.buyer,
        sellerAccountId: trade.seller,
        quantity: trade.quantity,
        price: trade.price,
        buyerFee: '0',
        sellerFee: '0',
        executedAtEpochMs,
      })),
    });
    if (result.counts.novated !== batch.length) {
      throw new Error(`crash book trades not novated: ${JSON.stringify(result.trades.slice(0, 3))}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Driving the crash

export interface CrashRunOptions {
  readonly steps: number;
  /** Longest wait for the pipeline to settle after one step. */
  readonly settleTimeoutMs: number;
  /** Called after each step settled (e.g. to print progress). */
  readonly onStep?: (step: number, settledAfterMs: number) => void;
  /** Awaited after a step settled, before the next is published (a fault test holds the crash here). */
  readonly beforeNextStep?: (step: number) => Promise<void>;
}

/**
 * Lowers BTC-USD and ETH-USD by 40% in `steps` publications observed over a simulated 10 minutes ending
 * just before now (so the worker's own clock, used by liquidation steps, is later than every observation),
 * waiting after each for the pipeline to settle.
 */
export async function runCrash(dataSource: DataSource, market: CrashMarket, options: CrashRunOptions): Promise<void> {
  const startEpochMs = Date.now() - SIMULATED_CRASH_MS - 10_000;
  for (let step = 1; step <= options.steps; step += 1) {
    const observedAtEpochMs = startEpochMs + Math.round((SIMULATED_CRASH_MS * step) / options.steps);
    const started = Date.now();
    await market.publishStep(step, options.steps, observedAtEpochMs);
    await waitForSettledPipeline(dataSource, options.settleTimeoutMs);
    options.onStep?.(step, Date.now() - started);
    await options.beforeNextStep?.(step);
  }
}

export interface PipelineBacklog {
  readonly openEvents: number;
  readonly failedEvents: number;
  readonly activeLiquidations: number;
}

export async function pipelineBacklog(dataSource: DataSource): Promise<PipelineBacklog> {
  const [row] = (await dataSource.query(
    `SELECT (SELECT count(*)::int FROM outbox_event WHERE status IN ('pending', 'enqueued')) AS open_events,
            (SELECT count(*)::int FROM outbox_event WHERE status = 'failed') AS failed_events,
            (SELECT count(*)::int FROM liquidation WHERE status IN ('pending', 'in_progress')) AS active`,
  )) as { open_events: number; failed_events: number; active: number }[];
  return {
    openEvents: row?.open_events ?? 0,
    failedEvents: row?.failed_events ?? 0,
    activeLiquidations: row?.active ?? 0,
  };
}

/**
 * Settled: no outbox event pending or enqueued and no liquidation pending or in progress. A breach records
 * its liquidation and outbox event in the margin run's transaction, before the margin-check event is done,
 * so there is no moment where work is owed but none of these shows it. A failed event stops the wait.
 */
export async function waitForSettledPipeline(dataSource: DataSource, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const backlog = await pipelineBacklog(dataSource);
    if (backlog.failedEvents > 0) throw new Error(`outbox events failed: ${JSON.stringify(backlog)}`);
    if (backlog.openEvents === 0 && backlog.activeLiquidations === 0) return;
    if (Date.now() > deadline)
      throw new Error(`pipeline not settled after ${timeoutMs} ms: ${JSON.stringify(backlog)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Queue lag

export interface QueueLagSample {
  readonly atEpochMs: number;
  /** Waiting (and prioritized) plus delayed jobs on the margin and liquidation queues. */
  readonly waiting: number;
  readonly delayed: number;
  readonly active: number;
  /**
   * How long the oldest waiting job of either queue has waited, from when it was added or (a liquidation
   * job re-queued after a cool-down) last started: an upper bound of its queueing delay.
   */
  readonly oldestWaitingAgeMs: number;
}

/** Samples both queues every `intervalMs` until stopped. Reads only; never touches a job. */
export class QueueLagSampler {
  readonly samples: QueueLagSample[] = [];
  private readonly queues: Queue[];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    redisUrl: string,
    prefix: string,
    private readonly intervalMs = 250,
  ) {
    this.queues = [QueueName.Margin, QueueName.Liquidation].map(
      (name) => new Queue(name, { connection: { url: redisUrl, maxRetriesPerRequest: 1 }, prefix }),
    );
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.sample()
        .catch(() => undefined) // a flushed or restarting Redis: skip the sample
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    tick();
  }

  /** Idempotent: a failed test's afterAll may stop it again. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
    await Promise.all(this.queues.map((queue) => queue.close()));
  }

  async sample(): Promise<QueueLagSample> {
    const now = Date.now();
    let waiting = 0;
    let delayed = 0;
    let active = 0;
    let oldestWaitingAgeMs = 0;
    for (const queue of this.queues) {
      const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
      waiting += (counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0);
      delayed += counts['delayed'] ?? 0;
      active += counts['active'] ?? 0;
      const [oldest] = await queue.getJobs(['waiting'], 0, 0, true);
      if (oldest !== undefined) {
        const since = Math.max(oldest.timestamp, oldest.processedOn ?? 0);
        oldestWaitingAgeMs = Math.max(oldestWaitingAgeMs, now - since);
      }
    }
    const sample = { atEpochMs: now, waiting, delayed, active, oldestWaitingAgeMs };
    this.samples.push(sample);
    return sample;
  }

  summary(): {
    samples: number;
    maxBacklog: number;
    maxAgeMs: number;
    p99AgeMs: number;
    last: QueueLagSample | undefined;
  } {
    const ages = this.samples.map((sample) => sample.oldestWaitingAgeMs).sort((a, b) => a - b);
    return {
      samples: this.samples.length,
      maxBacklog: Math.max(0, ...this.samples.map((sample) => sample.waiting + sample.delayed)),
      maxAgeMs: ages.at(-1) ?? 0,
      p99AgeMs: ages[Math.min(ages.length - 1, Math.floor(ages.length * 0.99))] ?? 0,
      last: this.samples.at(-1),
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Verification

export interface CrashOutcome {
  /** Everything that contradicts exactly-once liquidation, terminal decisions or exact deficit cover. */
  readonly problems: readonly string[];
  readonly auditViolations: readonly AuditViolation[];
  readonly accountsBreached: number;
  readonly breaches: number;
  readonly liquidations: number;
  readonly liquidationSteps: number;
  readonly marginRuns: number;
  readonly accountsLeftLiquidating: number;
  readonly adlCounterpartyAccounts: number;
  readonly totals: {
    readonly deficits: string;
    readonly uncovered: string;
    readonly penaltiesToInsuranceFund: string;
    readonly insuranceFundPaid: string;
    readonly ccpCapitalPaid: string;
    readonly defaultFundPaid: string;
    readonly defaulterMarginPaid: string;
    readonly adlRecovered: string;
  };
}

interface ReceiptRow {
  readonly id: string;
  readonly account_id: string;
  readonly margin_status: string;
}

/**
 * Checks the outcome of a replay from the database alone:
 * - every outbox event done, every liquidation completed, steps numbered 1..n with one final step last;
 * - per account, its receipts in id order (a margin run and a liquidation step both hold the account row
 *   lock, so id order is commit order per account) replayed through the state machine: a margin-run
 *   receipt below MM outside a liquidation must be the trigger of exactly one liquidation, every trigger is
 *   below MM, and no liquidation starts while another of the account's is open. After a final step the
 *   account is where that step left it (a step that left it 'liquidating' keeps it there);
 * - accounts that never breached have no liquidation and no 'liquidated' fill;
 * - every deficit is absorbed exactly: what the deficit entries paid into the account plus what nothing
 *   covered equals the recorded deficit, per liquidation, and the account's balance is what is left;
 * - the auditor passes.
 */
export async function verifyCrashOutcome(
  dataSource: DataSource,
  deficitMode: CrashLiquidationParameters['deficitMode'],
): Promise<CrashOutcome> {
  const problems: string[] = [];
  const [open] = (await dataSource.query(
    `SELECT (SELECT count(*)::int FROM outbox_event WHERE status <> 'done') AS events,
            (SELECT count(*)::int FROM liquidation WHERE status <> 'completed') AS liquidations`,
  )) as { events: number; liquidations: number }[];
  if ((open?.events ?? 0) > 0) problems.push(`${open?.events} outbox events not done`);
  if ((open?.liquidations ?? 0) > 0) problems.push(`${open?.liquidations} liquidations not completed`);

  const liquidations = (await dataSource.query(
    `SELECT id, account_id, trigger_receipt_id::text AS trigger, status, deficit::text AS deficit FROM liquidation`,
  )) as { id: string; account_id: string; trigger: string; status: string; deficit: string }[];
  const steps = (await dataSource.query(
    `SELECT liquidation_id, step_number, kind, receipt_id::text AS receipt_id, details
       FROM liquidation_step ORDER BY liquidation_id, step_number`,
  )) as {
    liquidation_id: string;
    step_number: number;
    kind: string;
    receipt_id: string;
    details: Record<string, unknown>;
  }[];
  const stepsOf = new Map<string, typeof steps>();
  for (const step of steps) stepsOf.set(step.liquidation_id, [...(stepsOf.get(step.liquidation_id) ?? []), step]);
  const finalOf = new Map<string, (typeof steps)[number]>();
  for (const liquidation of liquidations) {
    const own = stepsOf.get(liquidation.id) ?? [];
    own.forEach((step, index) => {
      if (step.step_number !== index + 1) problems.push(`liquidation ${liquidation.id} step ${index + 1} missing`);
    });
    const finals = own.filter((step) => step.kind === 'final');
    if (liquidation.status === 'completed' && (finals.length !== 1 || own.at(-1)?.kind !== 'final')) {
      problems.push(`liquidation ${liquidation.id} has ${finals.length} final steps, last ${own.at(-1)?.kind}`);
    }
    if (finals[0] !== undefined) finalOf.set(liquidation.id, finals[0]);
  }

  // The receipts replay.
  const receipts = (await dataSource.query(
    `SELECT receipt.id::text AS id, receipt.account_id, receipt.margin_status FROM margin_receipt receipt
       JOIN account ON account.id = receipt.account_id WHERE account.kind <> 'house'
      ORDER BY receipt.account_id, receipt.id`,
  )) as ReceiptRow[];
  const stepReceipts = new Set(steps.map((step) => step.receipt_id));
  const triggers = new Map<string, (typeof liquidations)[number]>();
  for (const liquidation of liquidations) {
    if (triggers.has(liquidation.trigger)) problems.push(`receipt ${liquidation.trigger} triggered two liquidations`);
    triggers.set(liquidation.trigger, liquidation);
  }
  const byAccount = new Map<string, ReceiptRow[]>();
  for (const receipt of receipts)
    byAccount.set(receipt.account_id, [...(byAccount.get(receipt.account_id) ?? []), receipt]);
  let breaches = 0;
  let marginRuns = 0;
  const breachedAccounts = new Set<string>();
  const seenTriggers = new Set<string>();
  for (const [accountId, own] of byAccount) {
    let windowEnd: bigint | null = null;
    let stuck = false;
    for (const receipt of own) {
      const id = BigInt(receipt.id);
      const liquidation = triggers.get(receipt.id);
      if (windowEnd !== null && id > windowEnd) windowEnd = null;
      if (!stepReceipts.has(receipt.id)) marginRuns += 1;
      if (liquidation !== undefined) {
        seenTriggers.add(receipt.id);
        if (windowEnd !== null || stuck)
          problems.push(`account ${accountId}: liquidation ${liquidation.id} started during another`);
        if (receipt.margin_status !== 'below_maintenance_margin') {
          problems.push(`liquidation ${liquidation.id} triggered by a ${receipt.margin_status} receipt`);
        }
        breaches += 1;
        breachedAccounts.add(accountId);
        const final = finalOf.get(liquidation.id);
        windowEnd = final === undefined ? BigInt('9223372036854775807') : BigInt(final.receipt_id);
        stuck = final?.details['newState'] === 'liquidating';
        continue;
      }
      if (windowEnd !== null || stuck || stepReceipts.has(receipt.id)) continue;
      if (receipt.margin_status === 'below_maintenance_margin') {
        problems.push(`account ${accountId}: receipt ${receipt.id} below MM outside any liquidation, none started`);
      }
    }
  }
  for (const liquidation of liquidations) {
    if (!seenTriggers.has(liquidation.trigger)) problems.push(`liquidation ${liquidation.id} has no trigger receipt`);
  }

  // Untouched accounts.
  const touched = (await dataSource.query(
    `SELECT DISTINCT fill.account_id, fill.role FROM liquidation_fill fill
       JOIN account ON account.id = fill.account_id WHERE account.kind <> 'house'`,
  )) as { account_id: string; role: string }[];
  for (const row of touched) {
    if (row.role === 'liquidated' && !breachedAccounts.has(row.account_id)) {
      problems.push(`account ${row.account_id} never breached but has liquidation fills`);
    }
  }
  const adlCounterparties = new Set(
    touched.filter((row) => row.role === 'adl_counterparty').map((row) => row.account_id),
  );
  if (deficitMode === 'default-waterfall' && adlCounterparties.size > 0) {
    problems.push(`${adlCounterparties.size} accounts auto-deleveraged under the default waterfall`);
  }

  const totals = await deficitTotals(dataSource, liquidations, finalOf, problems);
  const [left] = (await dataSource.query(
    `SELECT count(*)::int AS count FROM account WHERE kind <> 'house' AND margin_state = 'liquidating'`,
  )) as { count: number }[];
  return {
    problems,
    auditViolations: await auditInvariants(dataSource),
    accountsBreached: breachedAccounts.size,
    breaches,
    liquidations: liquidations.length,
    liquidationSteps: steps.length,
    marginRuns,
    accountsLeftLiquidating: left?.count ?? 0,
    adlCounterpartyAccounts: adlCounterparties.size,
    totals,
  };
}

async function deficitTotals(
  dataSource: DataSource,
  liquidations: readonly { id: string; account_id: string; deficit: string }[],
  finalOf: ReadonlyMap<string, { step_number: number; details: Record<string, unknown> }>,
  problems: string[],
): Promise<CrashOutcome['totals']> {
  // Every deficit-cover posting (entries `liq-<id>-step-<n>-deficit...`). Only entries that pay into the
  // liquidated account say who absorbed its deficit; the ADL trades between counterparties and the
  // liquidation account (`...:adl-<n>`) move profit to the liquidation account, which then pays it in.
  const postings = (await dataSource.query(
    `SELECT entry.id::text AS entry_id,
            substring(entry.idempotency_key FROM '^liq-([0-9a-f-]{36})-step-') AS liquidation_id,
            posting.account_id, account.house_role, posting.amount::text AS amount
       FROM journal_entry entry JOIN posting ON posting.journal_entry_id = entry.id
       JOIN account ON account.id = posting.account_id
      WHERE entry.idempotency_key ~ '^liq-[0-9a-f-]{36}-step-[0-9]+-deficit' AND posting.asset = 'USDC'`,
  )) as { entry_id: string; liquidation_id: string; account_id: string; house_role: string | null; amount: string }[];
  const [penalties] = (await dataSource.query(
    `SELECT coalesce(sum(posting.amount), 0)::text AS amount
       FROM journal_entry entry JOIN posting ON posting.journal_entry_id = entry.id
       JOIN account ON account.id = posting.account_id AND account.house_role = 'insurance_fund'
      WHERE entry.idempotency_key ~ '^liq-[0-9a-f-]{36}-step-[0-9]+$'`,
  )) as { amount: string }[];
  const accountOf = new Map(liquidations.map((liquidation) => [liquidation.id, liquidation.account_id]));
  const payingEntries = new Set(
    postings
      .filter((posting) => posting.account_id === accountOf.get(posting.liquidation_id))
      .map((posting) => posting.entry_id),
  );
  const paidIn = new Map<string, Decimal>();
  const zero = new Decimal(0);
  const sum = { insurance: zero, ccp: zero, fund: zero, margin: zero, adl: zero };
  for (const posting of postings) {
    if (!payingEntries.has(posting.entry_id)) continue;
    const amount = new Decimal(posting.amount);
    if (posting.account_id === accountOf.get(posting.liquidation_id)) {
      paidIn.set(posting.liquidation_id, (paidIn.get(posting.liquidation_id) ?? zero).plus(amount));
      continue;
    }
    const layer = layerOf(posting.house_role);
    if (layer === undefined) {
      problems.push(`deficit entry ${posting.entry_id} takes from a ${posting.house_role} account`);
      continue;
    }
    sum[layer] = sum[layer].minus(amount);
  }
  let deficits = new Decimal(0);
  let uncovered = new Decimal(0);
  for (const liquidation of liquidations) {
    const deficit = new Decimal(liquidation.deficit);
    const final = finalOf.get(liquidation.id);
    const left = new Decimal(String(final?.details['uncovered'] ?? '0'));
    const paid = paidIn.get(liquidation.id) ?? new Decimal(0);
    deficits = deficits.plus(deficit);
    uncovered = uncovered.plus(left);
    if (!paid.plus(left).equals(deficit)) {
      problems.push(`liquidation ${liquidation.id}: deficit ${deficit} but paid ${paid} + uncovered ${left}`);
    }
  }
  // Sources pay what the accounts received (ADL: the counterparties pay the liquidation account, which
  // passes it on; the entries balance per asset, which the auditor checks).
  const paidTotal = [...paidIn.values()].reduce((total, value) => total.plus(value), new Decimal(0));
  const sourcesTotal = sum.insurance.plus(sum.ccp).plus(sum.fund).plus(sum.margin).plus(sum.adl);
  if (!paidTotal.equals(sourcesTotal)) {
    problems.push(`deficit entries paid ${paidTotal} into accounts but the layers gave ${sourcesTotal}`);
  }
  return {
    deficits: deficits.toFixed(),
    uncovered: uncovered.toFixed(),
    penaltiesToInsuranceFund: new Decimal(penalties?.amount ?? '0').toFixed(),
    insuranceFundPaid: sum.insurance.toFixed(),
    ccpCapitalPaid: sum.ccp.toFixed(),
    defaultFundPaid: sum.fund.toFixed(),
    defaulterMarginPaid: sum.margin.toFixed(),
    adlRecovered: sum.adl.toFixed(),
  };
}

function layerOf(houseRole: string | null): 'insurance' | 'ccp' | 'fund' | 'margin' | 'adl' | undefined {
  switch (houseRole) {
    case 'insurance_fund':
      return 'insurance';
    case 'ccp_capital':
      return 'ccp';
    case 'default_fund':
      return 'fund';
    case 'liquidation':
      return 'adl';
    case null:
      return 'margin';
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The worker as a real child process

/** apps/liquidation-worker/test -> the workspace (from dist/apps/... when a compiled benchmark imports it). */
const WORKSPACE_ROOT = fileURLToPath(
  new URL(import.meta.url.includes('/dist/apps/') ? '../../../..' : '../../..', import.meta.url),
);
/** The compiled worker (npm test builds it before the e2e tier; `npx tsc -p tsconfig.build.json` by hand). */
export const WORKER_MAIN = 'dist/apps/liquidation-worker/src/main.js';
const READY_TIMEOUT_MS = 60_000;

export interface WorkerEnvironment {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly queuePrefix: string;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** stderr so far (the worker logs warnings and errors there or to stdout; kept for failure messages). */
  output(): string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}

/**
 * Starts `node dist/apps/liquidation-worker/src/main.js` with the test's database and queue prefix (the
 * schema is migrated by the test, so the worker does not migrate: restarts never race a migration) and
 * resolves once /health/ready answers 200.
 */
export async function spawnWorker(environment: WorkerEnvironment): Promise<WorkerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', './tools/runtime/register.mjs', WORKER_MAIN], {
    cwd: WORKSPACE_ROOT,
    env: {
      TZ: 'UTC',
      NOVATION_ENV: 'test',
      DATABASE_URL: environment.databaseUrl,
      DATABASE_POOL_SIZE_MAX: '10',
      REDIS_URL: environment.redisUrl,
      QUEUE_PREFIX: environment.queuePrefix,
      WORKER_HOST: '127.0.0.1',
      WORKER_PORT: String(port),
      LOG_LEVEL: 'error',
      RUN_MIGRATIONS_AT_START: 'false',
      SHUTDOWN_TIMEOUT_MS: '10000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const worker: WorkerProcess = { child, port, exited, output: () => output };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  for (;;) {
    if (gone) throw new Error(`worker exited before it was ready:\n${output}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (response.status === 200) return worker;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker not ready after ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sends `signal` and waits for the process to exit. */
export async function stopWorker(worker: WorkerProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill(signal);
  await worker.exited;
}
