import {
  LIQUIDATION_BATCH_MAX,
  LiquidationError,
  auditInvariants,
  dataSourceOptions,
  executeLiquidationStep,
  executeLiquidationSteps,
  marginAccounts,
  migrateUp,
  type LiquidationStepOutcome,
} from '@novation/persistence';
import { cloneTestDatabase, createTestDatabase, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { buildCrashMarket, type CrashLiquidationParameters } from '../../test/crash-market.js';

/**
 * The batched liquidation step (executeLiquidationSteps) against the one-by-one path (executeLiquidationStep)
 * on a real crash book, under each deficit mode: the book is cloned (CREATE DATABASE ... TEMPLATE, so every
 * id is the same in both), one copy is stepped one liquidation per transaction, the other batched, round by
 * round at the same clock, and the two end states are compared table by table. Surrogate ids drawn from
 * sequences or gen_random_uuid() at run time (receipts, journal entries, steps, margin calls, events) are
 * replaced by what identifies their row (hashes, idempotency keys), since the two paths may draw them in
 * another order.
 *
 * The one-by-one copy runs each round in the order the batch is defined to be equivalent to: per chunk of
 * LIQUIDATION_BATCH_MAX ids, the steps the batch writes itself in id order (slices, collateral conversions,
 * final steps, and under auto-deleveraging the deficits the insurance fund covers whole), then the steps
 * it leaves to executeLiquidationStep after it commits (any other deficit cover) in id order. Pure id order
 * is not the same history: the waterfall's step details record the insurance fund's balance when a deficit
 * is covered, and the penalties of slices with higher ids reach the fund before a batch's deferred covers
 * run. Which steps the batch wrote itself is read from the step rows' xmin: the batch's are written by
 * one transaction per chunk, each deferred one by its own.
 */
const ACCOUNTS = 200;
const SEED = 20_261_212;
/** The auto-deleveraging book: another seed, its crash too opens more liquidations than one batch holds. */
const ADL_ACCOUNTS = 220;
const ADL_SEED = 20_261_214;
/** The book of the claim, failure and redelivery tests: fewer due liquidations than one batch holds. */
const SMALL_ACCOUNTS = 60;
const SMALL_SEED = 20_261_213;
/** In four publications: one 40% move would take option premiums outside the market-data band. */
const CRASH_PUBLICATIONS = 4;
/** Bounds the driving loop: a liquidation of these books ends in far fewer steps. */
const ROUNDS_MAX = 100;

type DeficitMode = CrashLiquidationParameters['deficitMode'];

/** The equivalence test's books, one per deficit mode. */
/** USDC in the insurance fund and the CCP's capital before the crash. */
interface DefaultResources {
  readonly insuranceFundUsdc: string;
  readonly ccpCapitalUsdc: string;
}

/** Enough for every deficit of these books, on the insurance fund alone. */
const AMPLE: DefaultResources = { insuranceFundUsdc: '1000000000', ccpCapitalUsdc: '1000000000' };

const EQUIVALENCE_BOOKS: readonly {
  readonly mode: DeficitMode;
  readonly accounts: number;
  readonly seed: number;
  readonly resources: DefaultResources;
}[] = [
  // A small fund and a small capital: covers go through the fund, the reserve accounts (defaulter margin)
  // and the CCP's capital, batched, the balances followed from cover to cover; once those run out, deficits
  // are left uncovered, which the batch leaves to one by one.
  {
    mode: 'default-waterfall',
    accounts: ACCOUNTS,
    seed: SEED,
    resources: { insuranceFundUsdc: '40000', ccpCapitalUsdc: '80000' },
  },
  { mode: 'auto-deleveraging', accounts: ADL_ACCOUNTS, seed: ADL_SEED, resources: AMPLE },
];

async function openDataSource(url: string): Promise<DataSource> {
  const dataSource = new DataSource({
    ...dataSourceOptions({
      database: { url, poolSizeMax: 4, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
    }),
    logging: false,
  });
  return dataSource.initialize();
}

/**
 * The crash book with its liquidations opened: `accounts` member accounts, BTC and ETH down 40%, every
 * account margined once (the breaches open their liquidations, all due at once). Slices of half a
 * position, no cool-down (every round steps every liquidation), a small penalty, and the given insurance
 * fund and CCP capital. Under auto-deleveraging the fund covers every deficit on its own: the choice of
 * counterparties would depend on the order in which deficits are met, so nothing is deleveraged and the
 * batch covers every deficit itself.
 */
async function buildLiquidatingBook(
  dataSource: DataSource,
  accounts: number,
  seed: number,
  deficitMode: DeficitMode,
  resources: DefaultResources,
): Promise<void> {
  await migrateUp(dataSource);
  const market = await buildCrashMarket(dataSource, {
    accounts,
    seed,
    liquidation: { penaltyFraction: '0.005', maxSliceFraction: '0.5', coolDownMs: 0, deficitMode },
    ...resources,
  });
  const crashAt = Date.now() - 10_000;
  for (let step = 1; step <= CRASH_PUBLICATIONS; step += 1) {
    await market.publishStep(step, CRASH_PUBLICATIONS, crashAt + step * 1_000);
  }
  const margined = await marginAccounts(
    dataSource,
    market.accounts.map((account) => account.id),
    Date.now(),
  );
  if (margined.failures.size > 0) throw new Error(`${margined.failures.size} accounts not margined`);
}

/** Liquidations not ended (pending or in progress), in id order. */
async function activeLiquidations(dataSource: DataSource): Promise<string[]> {
  const rows: { id: string }[] = await dataSource.query(
    `SELECT id FROM liquidation WHERE status IN ('pending', 'in_progress') ORDER BY id`,
  );
  return rows.map((row) => row.id);
}

/** A liquidation's step at one clock, as much of it as the split of a round needs. */
interface RoundStep {
  readonly liquidationId: string;
  readonly kind: 'slice' | 'final';
  /** The transaction that wrote the row (its xmin). */
  readonly writer: string;
  /** details.conversion.status ('converted' or 'refused'); null when there was nothing to convert. */
  readonly conversion: string | null;
  /** details.cover; null when no deficit was covered. */
  readonly cover: {
    readonly mode: string;
    readonly residualDeficit?: string;
    readonly uncovered?: string;
    readonly layers?: readonly { readonly layer: string; readonly amount: string }[];
  } | null;
}

/** Every liquidation's step at `nowEpochMs`, by liquidation id. */
async function roundSteps(dataSource: DataSource, nowEpochMs: number): Promise<Map<string, RoundStep>> {
  const rows: {
    liquidation_id: string;
    kind: 'slice' | 'final';
    writer: string;
    conversion: string | null;
    cover: RoundStep['cover'];
  }[] = await dataSource.query(
    `SELECT liquidation_id, kind, xmin::text AS writer, details->'conversion'->>'status' AS conversion,
            details->'cover' AS cover
       FROM liquidation_step WHERE executed_at = $1`,
    [new Date(nowEpochMs)],
  );
  return new Map(
    rows.map((row) => [
      row.liquidation_id,
      {
        liquidationId: row.liquidation_id,
        kind: row.kind,
        writer: row.writer,
        conversion: row.conversion,
        cover: row.cover,
      },
    ]),
  );
}

/** Waterfall layers whose postings are tagged per member firm: a batch leaves a cover using one alone. */
const TAGGED_LAYERS = new Set(['defaulter-default-fund', 'mutualised']);

/**
 * Whether a batch leaves `step` to executeLiquidationStep, to run once it commits: a final step that
 * covered a deficit, unless the batch could cover it itself: under auto-deleveraging, the insurance fund
 * covered it whole (nothing to deleverage, so nothing that depends on other accounts' positions); under the
 * default waterfall, nothing was left uncovered and no default-fund layer paid (the insurance fund, the
 * defaulter's margin and the CCP's capital are plain accounts). A defaulter whose firm had another account
 * in the same batch is left too, but these books give every firm one trading account.
 */
function leftToOneByOne(step: RoundStep, mode: DeficitMode): boolean {
  if (step.kind !== 'final' || step.cover === null) return false;
  if (mode === 'auto-deleveraging') {
    return !(step.cover.mode === 'auto-deleveraging' && step.cover.residualDeficit === '0');
  }
  const tagged = (step.cover.layers ?? []).some((layer) => TAGGED_LAYERS.has(layer.layer) && layer.amount !== '0');
  return step.cover.uncovered !== '0' || tagged;
}

/** The liquidations whose step a batch leaves to executeLiquidationStep (leftToOneByOne), in id order. */
function deferredSteps(steps: ReadonlyMap<string, RoundStep>, mode: DeficitMode): string[] {
  return [...steps.values()]
    .filter((step) => leftToOneByOne(step, mode))
    .map((step) => step.liquidationId)
    .sort();
}

/**
 * How many steps of the rarer kinds the batches' own transactions wrote. Steps that only convert collateral
 * (kind 'slice', closes [], details.conversion) are the batch's too, and the one-transaction check covers
 * them, but these crash books make none (nor a refused conversion), so none is counted on.
 */
interface BatchWritten {
  /** Final steps that converted collateral (the options accounts' BTC). */
  convertedFinals: number;
  /** Final steps that covered a deficit (the waterfall's plain layers, or the fund alone under auto-deleveraging). */
  covers: number;
  /** Final steps that did both: the conversion's penalty reached the fund before the cover left it. */
  convertedCovers: number;
  /** Covers the defaulter's margin or the CCP's capital paid part of (balances followed through the batch). */
  layeredCovers: number;
}

const nothingWritten = (): BatchWritten => ({ convertedFinals: 0, covers: 0, convertedCovers: 0, layeredCovers: 0 });

/** How a batched round's steps were written, read from their rows' xmin. */
interface RoundSplit {
  /**
   * Per chunk that wrote steps itself: how many transactions wrote them. One, or the batch fell back to
   * one by one (or left a step it should write to executeLiquidationStep).
   */
  readonly transactions: readonly number[];
  /** Deferred steps whose transaction wrote another step of the round too: each should have its own. */
  readonly sharedDeferred: readonly string[];
  /** The rarer kinds of step among those the chunks' own transactions wrote. */
  readonly written: BatchWritten;
}

/**
 * The split of a batched call over `ids` (sorted): per chunk of LIQUIDATION_BATCH_MAX, the transactions
 * that wrote the steps the batch writes itself (all but `deferred`), whether each deferred step had a
 * transaction of its own, and what kinds of step the batch wrote.
 */
function splitRound(
  ids: readonly string[],
  steps: ReadonlyMap<string, RoundStep>,
  deferred: ReadonlySet<string>,
): RoundSplit {
  const writerOf = (id: string): string => steps.get(id)?.writer ?? `none:${id}`;
  const stepsByWriter = new Map<string, number>();
  for (const id of ids) stepsByWriter.set(writerOf(id), (stepsByWriter.get(writerOf(id)) ?? 0) + 1);
  const transactions: number[] = [];
  const sharedDeferred: string[] = [];
  const written = nothingWritten();
  for (let start = 0; start < ids.length; start += LIQUIDATION_BATCH_MAX) {
    const chunk = ids.slice(start, start + LIQUIDATION_BATCH_MAX);
    const own = chunk.filter((id) => !deferred.has(id));
    if (own.length > 0) transactions.push(new Set(own.map(writerOf)).size);
    sharedDeferred.push(...chunk.filter((id) => deferred.has(id) && stepsByWriter.get(writerOf(id)) !== 1));
    for (const step of own.map((id) => steps.get(id))) {
      if (step === undefined) continue;
      if (step.kind !== 'final') continue;
      const converted = step.conversion === 'converted';
      if (converted) written.convertedFinals += 1;
      if (step.cover !== null) written.covers += 1;
      if (converted && step.cover !== null) written.convertedCovers += 1;
      const layers = step.cover?.layers ?? [];
      if (layers.some((layer) => layer.layer !== 'insurance' && layer.amount !== '0')) written.layeredCovers += 1;
    }
  }
  return { transactions, sharedDeferred, written };
}

/**
 * The order one by one that a batched call over `ids` (sorted) is equivalent to: per chunk of
 * LIQUIDATION_BATCH_MAX, the batch's own steps, then the `deferred` ones, each part in id order.
 */
function batchOrder(ids: readonly string[], deferred: ReadonlySet<string>): string[] {
  const order: string[] = [];
  for (let start = 0; start < ids.length; start += LIQUIDATION_BATCH_MAX) {
    const chunk = ids.slice(start, start + LIQUIDATION_BATCH_MAX);
    order.push(...chunk.filter((id) => !deferred.has(id)), ...chunk.filter((id) => deferred.has(id)));
  }
  return order;
}

/** A JSON text with object keys sorted, so two equal values always print alike. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : inner,
  );
}

/** Rows of one table: a key that identifies the row in both databases, and the row's compared content. */
type Rows = ReadonlyMap<string, string>;

/**
 * The first row (in key order) that differs between the two databases, described with both values; null
 * when every row matches.
 */
function firstDifference(table: string, oneByOne: Rows, batched: Rows): string | null {
  const keys = [...new Set([...oneByOne.keys(), ...batched.keys()])].sort();
  for (const key of keys) {
    const a = oneByOne.get(key);
    const b = batched.get(key);
    if (a !== b) {
      return `${table} ${key} (${oneByOne.size} vs ${batched.size} rows):\n  one by one: ${a ?? '(missing)'}\n  batched:    ${b ?? '(missing)'}`;
    }
  }
  return null;
}

function rowsOf<T>(rows: readonly T[], key: (row: T) => string, value: (row: T) => unknown): Map<string, string> {
  const map = new Map<string, string>();
  for (const row of rows) {
    const id = key(row);
    if (map.has(id)) throw new Error(`two rows keyed ${id}`);
    map.set(id, stableJson(value(row)));
  }
  return map;
}

const epochOf = (value: Date | string | null): number | null => (value === null ? null : new Date(value).getTime());

/**
 * How the surrogate ids of one database map to what identifies their rows in both: a margin receipt by its
 * hashes (the same inputs give the same result, so two receipts alike are interchangeable), a journal entry
 * by its idempotency key, a margin call by its account and receipt.
 */
interface IdNormaliser {
  receipt(id: string | number | null): string | null;
  journalEntry(id: string | number | null): string | null;
  marginCall(id: string | null): string | null;
  /** A JSON value with every receiptId, journalEntryId and marginCallId replaced by its normal form. */
  json(value: unknown): unknown;
  /** An account event's dedupe key, the receipt or call id in it replaced. */
  dedupeKey(key: string): string;
}

async function idNormaliser(dataSource: DataSource): Promise<IdNormaliser> {
  const receipts: { id: string; account_id: string; inputs_hash: string; result_hash: string }[] =
    await dataSource.query(`SELECT id::text AS id, account_id, inputs_hash, result_hash FROM margin_receipt`);
  const receiptKeys = new Map(receipts.map((row) => [row.id, `receipt(${row.inputs_hash}/${row.result_hash})`]));
  const entries: { id: string; idempotency_key: string }[] = await dataSource.query(
    `SELECT id::text AS id, idempotency_key FROM journal_entry`,
  );
  const entryKeys = new Map(entries.map((row) => [row.id, `entry(${row.idempotency_key})`]));
  const calls: { id: string; account_id: string; receipt_id: string }[] = await dataSource.query(
    `SELECT id, account_id, receipt_id::text AS receipt_id FROM margin_call`,
  );
  const callKeys = new Map(
    calls.map((row) => [row.id, `call(${row.account_id}/${receiptKeys.get(row.receipt_id) ?? row.receipt_id})`]),
  );
  const lookup = (keys: ReadonlyMap<string, string>, what: string, id: string | number | null): string | null => {
    if (id === null) return null;
    const key = keys.get(String(id));
    if (key === undefined) throw new Error(`no ${what} ${String(id)}`);
    return key;
  };
  const normaliser: IdNormaliser = {
    receipt: (id) => lookup(receiptKeys, 'margin receipt', id),
    journalEntry: (id) => lookup(entryKeys, 'journal entry', id),
    marginCall: (id) => lookup(callKeys, 'margin call', id),
    json: (value) => {
      if (Array.isArray(value)) return value.map((item) => normaliser.json(item));
      if (value === null || typeof value !== 'object') return value;
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([key, inner]) => {
          const id = typeof inner === 'string' || typeof inner === 'number' ? inner : null;
          if (key === 'receiptId') return [key, normaliser.receipt(id)];
          if (key === 'journalEntryId') return [key, normaliser.journalEntry(id)];
          if (key === 'marginCallId') return [key, normaliser.marginCall(id === null ? null : String(id))];
          return [key, normaliser.json(inner)];
        }),
      );
    },
    dedupeKey: (key) => {
      const receipt = /^margin-state:(\d+)$/.exec(key);
      if (receipt !== null) return `margin-state:${normaliser.receipt(receipt[1] as string)}`;
      const call = /^(margin-call-(?:opened|resolved)):([0-9a-f-]{36})$/.exec(key);
      if (call !== null) return `${call[1]}:${normaliser.marginCall(call[2] as string)}`;
      return key;
    },
  };
  return normaliser;
}

/** The compared end state of one database, by table. */
async function snapshot(dataSource: DataSource): Promise<Map<string, Rows>> {
  const ids = await idNormaliser(dataSource);
  const tables = new Map<string, Rows>();
  const liquidations: {
    id: string;
    account_id: string;
    margin_call_id: string | null;
    trigger_receipt_id: string;
    status: string;
    deficit: string;
    next_step_at: Date | null;
    completed_at: Date | null;
    slices: number;
    finals: number;
  }[] = await dataSource.query(
    `SELECT liquidation.id, liquidation.account_id, liquidation.margin_call_id,
            liquidation.trigger_receipt_id::text AS trigger_receipt_id, liquidation.status,
            liquidation.deficit::text AS deficit, liquidation.next_step_at, liquidation.completed_at,
            count(*) FILTER (WHERE step.kind = 'slice')::int AS slices,
            count(*) FILTER (WHERE step.kind = 'final')::int AS finals
       FROM liquidation LEFT JOIN liquidation_step step ON step.liquidation_id = liquidation.id
      GROUP BY liquidation.id`,
  );
  tables.set(
    'liquidation',
    rowsOf(
      liquidations,
      (row) => row.id,
      (row) => ({
        account: row.account_id,
        marginCall: ids.marginCall(row.margin_call_id),
        triggerReceipt: ids.receipt(row.trigger_receipt_id),
        status: row.status,
        deficit: row.deficit,
        nextStepAt: epochOf(row.next_step_at),
        completedAt: epochOf(row.completed_at),
        slices: row.slices,
        finals: row.finals,
      }),
    ),
  );
  const steps: {
    liquidation_id: string;
    step_number: number;
    kind: string;
    idempotency_key: string;
    receipt_id: string;
    journal_entry_id: string | null;
    details: unknown;
    executed_at: Date;
  }[] = await dataSource.query(
    `SELECT liquidation_id, step_number, kind, idempotency_key, receipt_id::text AS receipt_id,
            journal_entry_id::text AS journal_entry_id, details, executed_at
       FROM liquidation_step`,
  );
  tables.set(
    'liquidation_step',
    rowsOf(
      steps,
      (row) => row.idempotency_key,
      (row) => ({
        liquidation: row.liquidation_id,
        number: row.step_number,
        kind: row.kind,
        receipt: ids.receipt(row.receipt_id),
        journalEntry: ids.journalEntry(row.journal_entry_id),
        details: ids.json(row.details),
        executedAt: epochOf(row.executed_at),
      }),
    ),
  );
  const fills: { step_key: string; fills: unknown[] }[] = await dataSource.query(
    `SELECT step.idempotency_key AS step_key,
            jsonb_agg(jsonb_build_array(fill.account_id, fill.instrument_id, fill.role, fill.quantity::text,
                                        fill.price::text)
                      ORDER BY fill.account_id, fill.instrument_id, fill.role, fill.quantity, fill.price) AS fills
       FROM liquidation_fill fill JOIN liquidation_step step ON step.id = fill.liquidation_step_id
      GROUP BY step.idempotency_key`,
  );
  tables.set(
    'liquidation_fill',
    rowsOf(
      fills,
      (row) => row.step_key,
      (row) => row.fills,
    ),
  );
  const entries: {
    idempotency_key: string;
    payload_hash: string;
    kind: string;
    description: string;
    postings: unknown[];
  }[] = await dataSource.query(
    `SELECT entry.idempotency_key, entry.payload_hash, entry.kind, entry.description,
              jsonb_agg(jsonb_build_array(posting.account_id, posting.asset, posting.amount::text)
                        ORDER BY posting.account_id, posting.asset, posting.amount) AS postings
         FROM journal_entry entry JOIN posting ON posting.journal_entry_id = entry.id
        GROUP BY entry.id`,
  );
  tables.set(
    'journal_entry',
    rowsOf(
      entries,
      (row) => row.idempotency_key,
      ({ idempotency_key: _key, ...row }) => row,
    ),
  );
  const positions: {
    account_id: string;
    instrument_id: string;
    quantity: string;
    average_entry_price: string | null;
    realised_pnl: string;
    version: string;
    last_trade_id: string | null;
    updated_at: Date;
  }[] = await dataSource.query(
    `SELECT account_id, instrument_id, quantity::text AS quantity, average_entry_price::text AS average_entry_price,
            realised_pnl::text AS realised_pnl, version::text AS version, last_trade_id::text AS last_trade_id,
            updated_at
       FROM position`,
  );
  tables.set(
    'position',
    rowsOf(
      positions,
      (row) => `${row.account_id}/${row.instrument_id}`,
      (row) => ({
        quantity: row.quantity,
        averageEntryPrice: row.average_entry_price,
        realisedPnl: row.realised_pnl,
        version: row.version,
        lastTradeId: row.last_trade_id,
        updatedAt: epochOf(row.updated_at),
      }),
    ),
  );
  const balances: { account_id: string; asset: string; balance: string }[] = await dataSource.query(
    `SELECT account_id, asset, balance::text AS balance FROM account_balance`,
  );
  tables.set(
    'account_balance',
    rowsOf(
      balances,
      (row) => `${row.account_id}/${row.asset}`,
      (row) => row.balance,
    ),
  );
  const accounts: { id: string; margin_state: string; margin_state_version: string; status: string }[] =
    await dataSource.query(
      `SELECT id, margin_state, margin_state_version::text AS margin_state_version, status FROM account`,
    );
  tables.set(
    'account',
    rowsOf(
      accounts,
      (row) => row.id,
      ({ id: _id, ...row }) => row,
    ),
  );
  const calls: {
    id: string;
    account_id: string;
    shortfall: string;
    asset: string;
    status: string;
    deadline_at: Date;
    resolved_at: Date | null;
  }[] = await dataSource.query(
    `SELECT id, account_id, shortfall::text AS shortfall, asset, status, deadline_at, resolved_at FROM margin_call`,
  );
  tables.set(
    'margin_call',
    rowsOf(
      calls,
      (row) => ids.marginCall(row.id) as string,
      (row) => ({
        account: row.account_id,
        shortfall: row.shortfall,
        asset: row.asset,
        status: row.status,
        deadlineAt: epochOf(row.deadline_at),
        resolvedAt: epochOf(row.resolved_at),
      }),
    ),
  );
  // Events in id order per account: the order a subscriber of that account sees them in.
  const events: {
    account_id: string;
    member_firm_id: string | null;
    kind: string;
    dedupe_key: string;
    payload: unknown;
  }[] = await dataSource.query(
    `SELECT account_id, member_firm_id, kind, dedupe_key, payload FROM account_event ORDER BY account_id, id`,
  );
  const eventIndex = new Map<string, number>();
  tables.set(
    'account_event',
    rowsOf(
      events,
      (row) => {
        const index = eventIndex.get(row.account_id) ?? 0;
        eventIndex.set(row.account_id, index + 1);
        return `${row.account_id}#${String(index).padStart(4, '0')}`;
      },
      (row) => ({
        memberFirm: row.member_firm_id,
        kind: row.kind,
        dedupeKey: ids.dedupeKey(row.dedupe_key),
        payload: ids.json(row.payload),
      }),
    ),
  );
  const receipts: { account_id: string; inputs_hash: string; result_hash: string; count: number }[] =
    await dataSource.query(
      `SELECT account_id, inputs_hash, result_hash, count(*)::int AS count
         FROM margin_receipt GROUP BY account_id, inputs_hash, result_hash`,
    );
  tables.set(
    'margin_receipt',
    rowsOf(
      receipts,
      (row) => `${row.account_id}/${row.inputs_hash}/${row.result_hash}`,
      (row) => row.count,
    ),
  );
  return tables;
}

/** Outcomes as compared: everything executeLiquidationStep returns, by liquidation id. */
function outcomeRows(outcomes: ReadonlyMap<string, LiquidationStepOutcome>): Rows {
  return rowsOf(
    [...outcomes.values()],
    (outcome) => outcome.liquidationId,
    (outcome) => outcome,
  );
}

function failureMessages(failures: ReadonlyMap<string, Error>): string[] {
  return [...failures].map(([id, error]) => `${id}: ${error.message}`);
}

async function rowCounts(dataSource: DataSource): Promise<Record<string, number>> {
  const [row] = (await dataSource.query(
    `SELECT (SELECT count(*)::int FROM liquidation_step) AS liquidation_step,
            (SELECT count(*)::int FROM liquidation_fill) AS liquidation_fill,
            (SELECT count(*)::int FROM journal_entry) AS journal_entry,
            (SELECT count(*)::int FROM account_event) AS account_event,
            (SELECT count(*)::int FROM margin_receipt) AS margin_receipt,
            (SELECT count(*)::int FROM margin_call) AS margin_call`,
  )) as Record<string, number>[];
  return row ?? {};
}

/** One round of the batched database: what it was given and what it did. */
interface BatchedRound {
  /** The liquidations not ended before the round, in id order (none: nothing was called). */
  readonly active: readonly string[];
  readonly outcomes: Rows;
  readonly failures: readonly string[];
  /** Why a batch's shared writes failed and it fell back to one by one. */
  readonly batchErrors: readonly string[];
  /** The steps the batch leaves to executeLiquidationStep (leftToOneByOne), in id order. */
  readonly deferred: readonly string[];
  readonly split: RoundSplit;
}

/** Steps every active liquidation of `dataSource` in one executeLiquidationSteps call at `nowEpochMs`. */
async function batchedRound(dataSource: DataSource, nowEpochMs: number, mode: DeficitMode): Promise<BatchedRound> {
  const active = await activeLiquidations(dataSource);
  if (active.length === 0) {
    const split = { transactions: [], sharedDeferred: [], written: nothingWritten() };
    return { active, outcomes: new Map(), failures: [], batchErrors: [], deferred: [], split };
  }
  const outcome = await executeLiquidationSteps(dataSource, active, nowEpochMs);
  const steps = await roundSteps(dataSource, nowEpochMs);
  const deferred = deferredSteps(steps, mode);
  return {
    active,
    outcomes: outcomeRows(outcome.outcomes),
    failures: failureMessages(outcome.failures),
    batchErrors: outcome.batchErrors.map((error) => error.message),
    deferred,
    split: splitRound(active, steps, new Set(deferred)),
  };
}

/** Database A (the book itself), stepped one liquidation per transaction, and B (its clone), in batches. */
interface EquivalencePair {
  readonly oneByOne: DataSource;
  readonly batched: DataSource;
}

describe('executeLiquidationSteps: batched liquidation steps equal the one-by-one path', () => {
  const books: TestDatabase[] = [];
  let smallBook: TestDatabase;
  const clones: TestDatabase[] = [];
  const dataSources: DataSource[] = [];
  /** By deficit mode: the equivalence test's two databases. */
  const pairs = new Map<DeficitMode, EquivalencePair>();
  /** Clones of the small book, one per test. */
  let claiming: DataSource;
  let failing: DataSource;
  let redelivered: DataSource;
  /** The clock of round r is startEpochMs + r in every database. */
  let startEpochMs: number;

  const open = async (url: string): Promise<DataSource> => {
    const dataSource = await openDataSource(url);
    dataSources.push(dataSource);
    return dataSource;
  };

  /** A book built and closed: a template must have no connection while it is copied. */
  async function built(
    accounts: number,
    seed: number,
    mode: DeficitMode,
    resources: DefaultResources,
  ): Promise<TestDatabase> {
    const database = await createTestDatabase();
    books.push(database);
    const building = await openDataSource(database.url);
    try {
      await buildLiquidatingBook(building, accounts, seed, mode, resources);
    } finally {
      await building.destroy();
    }
    return database;
  }

  async function clone(template: TestDatabase, suffix: string): Promise<DataSource> {
    const cloned = await cloneTestDatabase(template, suffix);
    clones.push(cloned);
    return open(cloned.url);
  }

  beforeAll(async () => {
    // The books are independent databases: built side by side, the file's runtime is the longest build.
    const [equivalence, small] = await Promise.all([
      Promise.all(
        EQUIVALENCE_BOOKS.map(({ accounts, seed, mode, resources }) => built(accounts, seed, mode, resources)),
      ),
      built(SMALL_ACCOUNTS, SMALL_SEED, 'default-waterfall', AMPLE),
    ]);
    smallBook = small;
    startEpochMs = Date.now();
    for (const [index, { mode }] of EQUIVALENCE_BOOKS.entries()) {
      const book = equivalence[index] as TestDatabase;
      const batched = await clone(book, 'batched');
      pairs.set(mode, { oneByOne: await open(book.url), batched });
    }
    claiming = await clone(smallBook, 'claiming');
    failing = await clone(smallBook, 'failing');
    redelivered = await clone(smallBook, 'redelivered');
  }, 300_000);

  afterAll(async () => {
    for (const dataSource of dataSources) await dataSource.destroy();
    for (const cloned of clones) await cloned.drop();
    for (const book of books) await book.drop();
  });

  it.each(EQUIVALENCE_BOOKS.map(({ mode }) => mode))(
    'under %s: steps every liquidation exactly as executeLiquidationStep does, round by round, to the same end state',
    async (mode) => {
      const { oneByOne, batched } = pairs.get(mode) as EquivalencePair;
      const opened = await activeLiquidations(oneByOne);
      // More than one batch, so the chunking is exercised too.
      expect(opened.length).toBeGreaterThan(LIQUIDATION_BATCH_MAX);
      let round = 0;
      let deferred = 0;
      const written = nothingWritten();
      // B runs one round ahead of A (its rounds are much shorter): round r of A and round r + 1 of B overlap.
      let ahead = batchedRound(batched, startEpochMs + 1, mode);
      try {
        for (;;) {
          const roundB = await ahead;
          const active = await activeLiquidations(oneByOne);
          expect(roundB.active).toEqual(active);
          if (active.length === 0) break;
          round += 1;
          if (round > ROUNDS_MAX) {
            throw new Error(`${active.length} liquidations still active after ${ROUNDS_MAX} rounds`);
          }
          expect(roundB.failures).toEqual([]);
          expect(roundB.batchErrors).toEqual([]);
          // What the batch writes itself (conversions and insured covers too): one transaction per chunk, not
          // a silent fallback; each deferred step in a transaction of its own.
          const { transactions, sharedDeferred } = roundB.split;
          expect({ round, transactions, sharedDeferred }).toEqual({
            round,
            transactions: transactions.map(() => 1),
            sharedDeferred: [],
          });
          ahead = batchedRound(batched, startEpochMs + round + 1, mode);
          const nowEpochMs = startEpochMs + round;
          const outcomesA = new Map<string, LiquidationStepOutcome>();
          for (const id of batchOrder(active, new Set(roundB.deferred))) {
            outcomesA.set(id, await executeLiquidationStep(oneByOne, id, nowEpochMs));
          }
          expect(firstDifference(`round ${round} outcome`, outcomeRows(outcomesA), roundB.outcomes)).toBeNull();
          // A ran in the order B's split of the round implies: A's own steps must split alike.
          expect(deferredSteps(await roundSteps(oneByOne, nowEpochMs), mode)).toEqual(roundB.deferred);
          deferred += roundB.deferred.length;
          for (const kind of Object.keys(written) as (keyof BatchWritten)[])
            written[kind] += roundB.split.written[kind];
        }
      } finally {
        await ahead.catch(() => undefined); // settled before the data sources close, whatever failed
      }
      // Several slices per liquidation, many rounds; the options accounts' BTC converted by the batch itself.
      expect(round).toBeGreaterThan(3);
      expect(written.convertedFinals).toBeGreaterThan(0);
      if (mode === 'default-waterfall') {
        // The batch covers deficits itself through the waterfall's plain layers, and leaves the uncovered
        // ones (the layers exhausted) to one by one.
        expect(written.covers).toBeGreaterThan(0);
        expect(written.layeredCovers).toBeGreaterThan(0);
        expect(deferred).toBeGreaterThan(0);
      } else {
        // The fund covers every deficit whole, nothing is deleveraged: the batch covers them all itself,
        // converted accounts' deficits included.
        expect(deferred).toBe(0);
        expect(written.covers).toBeGreaterThan(0);
        expect(written.convertedCovers).toBeGreaterThan(0);
      }
      const [endA, endB] = await Promise.all([snapshot(oneByOne), snapshot(batched)]);
      for (const [table, rowsA] of endA) {
        expect(firstDifference(table, rowsA, endB.get(table) ?? new Map())).toBeNull();
      }
      expect(await auditInvariants(oneByOne)).toEqual([]);
      expect(await auditInvariants(batched)).toEqual([]);
    },
  );

  it('claims due liquidations with SKIP LOCKED: a liquidation locked elsewhere is left alone', async () => {
    const due = await activeLiquidations(claiming);
    expect(due.length).toBeGreaterThan(2);
    expect(due.length).toBeLessThan(LIQUIDATION_BATCH_MAX);
    const locked = due[0] as string;
    const before = await rowCounts(claiming);
    const holder = claiming.createQueryRunner();
    await holder.connect();
    try {
      await holder.startTransaction();
      await holder.query(`SELECT id FROM liquidation WHERE id = $1 FOR UPDATE`, [locked]);
      const outcome = await executeLiquidationSteps(claiming, [], startEpochMs + 1, { claimDue: 1_000 });
      expect(failureMessages(outcome.failures)).toEqual([]);
      expect([...outcome.outcomes.keys()].sort()).toEqual(due.filter((id) => id !== locked));
      for (const stepped of outcome.outcomes.values()) expect(['slice', 'completed']).toContain(stepped.status);
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
    const steps: { liquidation_id: string }[] = await claiming.query(
      `SELECT DISTINCT liquidation_id FROM liquidation_step ORDER BY liquidation_id`,
    );
    expect(steps.map((row) => row.liquidation_id)).toEqual(due.filter((id) => id !== locked));
    expect((await rowCounts(claiming))['liquidation_step']).toBe((before['liquidation_step'] ?? 0) + due.length - 1);
    expect(await auditInvariants(claiming)).toEqual([]);
  });

  it('reports an unknown and a malformed id as failures and steps the others', async () => {
    const due = await activeLiquidations(failing);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const malformed = 'not-a-liquidation';
    const outcome = await executeLiquidationSteps(failing, [unknown, ...due, malformed], startEpochMs + 1);
    expect([...outcome.failures.keys()].sort()).toEqual([malformed, unknown].sort());
    for (const failure of outcome.failures.values()) {
      expect(failure).toBeInstanceOf(LiquidationError);
      expect((failure as LiquidationError).code).toBe('UNKNOWN_LIQUIDATION');
    }
    expect([...outcome.outcomes.keys()].sort()).toEqual(due);
    for (const stepped of outcome.outcomes.values()) expect(['slice', 'completed']).toContain(stepped.status);
    const steps: { count: number }[] = await failing.query(`SELECT count(*)::int AS count FROM liquidation_step`);
    expect(steps[0]?.count).toBe(due.length);
    expect(await auditInvariants(failing)).toEqual([]);
  });

  it('writes nothing for a redelivered call once every liquidation has ended', async () => {
    const all: { id: string }[] = await redelivered.query(`SELECT id FROM liquidation ORDER BY id`);
    const ids = all.map((row) => row.id);
    let nowEpochMs = startEpochMs;
    for (let round = 1; ; round += 1) {
      const active = await activeLiquidations(redelivered);
      if (active.length === 0) break;
      if (round > ROUNDS_MAX) throw new Error(`${active.length} liquidations still active after ${ROUNDS_MAX} rounds`);
      nowEpochMs = startEpochMs + round;
      const outcome = await executeLiquidationSteps(redelivered, active, nowEpochMs);
      expect(failureMessages(outcome.failures)).toEqual([]);
    }
    const before = await rowCounts(redelivered);
    const again = await executeLiquidationSteps(redelivered, ids, nowEpochMs);
    expect(failureMessages(again.failures)).toEqual([]);
    expect([...again.outcomes.keys()].sort()).toEqual(ids);
    for (const outcome of again.outcomes.values()) {
      expect(outcome).toEqual({
        liquidationId: outcome.liquidationId,
        accountId: outcome.accountId,
        status: 'finished',
        stepNumber: null,
        nextStepAtEpochMs: null,
      });
    }
    expect(await rowCounts(redelivered)).toEqual(before);
    expect(await auditInvariants(redelivered)).toEqual([]);
  });
});
