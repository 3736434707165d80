import {
  applyFill,
  coverDeficit,
  type ClearingPosition,
  type DeficitResource,
  type JournalEntryDraft,
} from '@novation/clearing';
import { Decimal, ZERO } from '@novation/money';
import { computeMarginReceipt, type MarginResult } from '@novation/risk';
import type { DataSource, EntityManager } from 'typeorm';
import type { AccountEntity, AccountMarginState } from '../entities/membership.entity.js';
import { InstrumentEntity } from '../entities/reference-data.entity.js';
import { recordAccountEvents, type AccountEventDraft } from '../events/account-events.js';
import { LedgerError, type JournalEntryDraft as LedgerEntryDraft } from '../ledger.js';
import { latestMarketData } from '../market-data/publish-marks.js';
import { storeReceipts } from '../margin/margin-account.js';
import { buildMarginRequests } from '../margin/margin-request-builder.js';
import { activeParameterSet, type ActiveParameterSet } from '../margin/parameter-set-body.js';
import { inTransactionWithRetry, isUuid, lockAccounts } from '../margin/transaction.js';
import { postJournalEntries } from '../trades/bulk-ledger.js';
import { arrayParameter } from '../trades/sql.js';
import {
  CONVERTED_ASSETS_MAX,
  conversionUnderlyings,
  planCollateralConversion,
  type PlannedCollateralConversion,
} from './convert-collateral.js';
import {
  EMPTY_RESOURCE_ID,
  adlDetails,
  defaultFundContributions,
  planWaterfallCover,
  type DeficitBase,
  type DefaultFundContribution,
} from './cover-liquidation-deficit.js';
import {
  assertStepOptions,
  conversionDetails,
  executeLiquidationStep,
  liquidatableBook,
  liquidationStepKey,
  planSliceStep,
  sliceFillRecord,
  stateAfterLiquidation,
  type BookPosition,
  type LiquidationStepOutcome,
  type SliceFill,
  type SliceStepPlan,
} from './execute-liquidation-step.js';
import { LiquidationError } from './liquidation-error.js';
import { LIQUIDATION_STEPS_MAX, assetScales, houseAccountId, type LiquidationFillRecord } from './liquidation-store.js';

/** Liquidations one batch transaction steps at most: bounds the statements' arrays and the locks held. */
export const LIQUIDATION_BATCH_MAX = 100;

export interface LiquidationStepsOptions {
  /** As LiquidationStepOptions.conversionPriceAgeMsMax (for the steps that convert collateral). */
  readonly conversionPriceAgeMsMax?: number;
  /**
   * Also step up to this many other due liquidations (pending or in progress, cool-down over), claimed
   * FOR UPDATE SKIP LOCKED in the batch's transaction: one a concurrent step holds is left to it. Claims
   * fill the last batch only, up to LIQUIDATION_BATCH_MAX liquidations with the given ones. Default 0.
   */
  readonly claimDue?: number;
  /**
   * Whether a claimed liquidation whose step cannot be batched (a waterfall cover, deleveraging, a batch
   * that rolled back) is stepped one by one here after the batch (true, the default) or left to its own
   * job (false: the worker's choice, so one job does not run many such steps in a row while the queue's
   * other slots, which would run them side by side, wait).
   */
  readonly stepDeferredClaims?: boolean;
}

export interface LiquidationStepsOutcome {
  /** By liquidation id (given and claimed): what executeLiquidationStep would have returned for it alone. */
  readonly outcomes: ReadonlyMap<string, LiquidationStepOutcome>;
  /** By liquidation id: why it could not be stepped (the error executeLiquidationStep threw for it). */
  readonly failures: ReadonlyMap<string, Error>;
  /**
   * Why a batch's shared writes failed, one per batch that fell back to one by one (its liquidations'
   * outcomes are still in `outcomes` or `failures`): nothing is lost, but a batch that keeps failing is
   * a bug to see, not a slowness to guess at.
   */
  readonly batchErrors: readonly Error[];
}

/**
 * executeLiquidationStep for many liquidations at `nowEpochMs`: each gets exactly the step it would get
 * alone (same step row, journal entry, position changes, receipts, account state, margin calls and events),
 * but up to LIQUIDATION_BATCH_MAX of them share ONE transaction and their common work:
 * - their rows are locked in id order by one statement (claimed ones after, SKIP LOCKED), their accounts by
 *   another; the parameter set, positions, instruments, balances and every margin input are read once
 *   (buildMarginRequests), and the receipts stored by one insert;
 * - slices (the usual step) and final steps with nothing left to convert or cover are written set-based:
 *   one bulk journal post, one lock and one compare-and-swap of every position the batch moves (fills of
 *   the liquidation account's shared positions applied in id order, as one by one), one insert of the steps
 *   and their fills, one update per liquidation status, one insert of the account events;
 * - a step that converts collateral or covers a deficit (rare: the end of an under-water account) runs
 *   through executeLiquidationStep in its own transaction once the batch has committed, as does every
 *   liquidation of a batch whose shared writes failed, so one bad liquidation cannot hold the rest back.
 * A liquidation ended or cooling down writes nothing ('finished', 'waiting'): a redelivered call is a no-op.
 */
export async function executeLiquidationSteps(
  dataSource: DataSource,
  liquidationIds: readonly string[],
  nowEpochMs: number,
  options: LiquidationStepsOptions = {},
): Promise<LiquidationStepsOutcome> {
  const override = assertStepOptions(nowEpochMs, options);
  const claimDue = options.claimDue ?? 0;
  const stepDeferredClaims = options.stepDeferredClaims ?? true;
  if (!Number.isSafeInteger(claimDue) || claimDue < 0) {
    throw new LiquidationError('INVALID_OPTIONS', `claimDue ${String(claimDue)}`);
  }
  const outcomes = new Map<string, LiquidationStepOutcome>();
  const failures = new Map<string, Error>();
  const batchErrors: Error[] = [];
  const ids: string[] = [];
  for (const id of new Set(liquidationIds)) {
    if (isUuid(id)) ids.push(id.toLowerCase());
    else failures.set(String(id), new LiquidationError('UNKNOWN_LIQUIDATION', `no liquidation ${String(id)}`));
  }
  ids.sort();
  const chunks: string[][] = [];
  for (let start = 0; start < ids.length; start += LIQUIDATION_BATCH_MAX) {
    chunks.push(ids.slice(start, start + LIQUIDATION_BATCH_MAX));
  }
  if (chunks.length === 0 && claimDue > 0) chunks.push([]);
  const single = async (id: string): Promise<void> => {
    try {
      outcomes.set(id, await executeLiquidationStep(dataSource, id, nowEpochMs, options));
    } catch (error) {
      failures.set(id, error instanceof Error ? error : new Error(String(error)));
    }
  };
  for (const [index, chunk] of chunks.entries()) {
    // Claims fill the last chunk up to the batch size: given ids come first.
    const claim = index === chunks.length - 1 ? Math.min(claimDue, LIQUIDATION_BATCH_MAX - chunk.length) : 0;
    let batch: BatchOutcome;
    let claimed: readonly string[] = [];
    try {
      batch = await inTransactionWithRetry(dataSource, (manager) =>
        stepBatch(manager, chunk, claim, nowEpochMs, override, (ids) => {
          claimed = ids;
        }),
      );
    } catch (error) {
      // A shared write failed and the batch rolled back: its liquidations (given and claimed) go one by one,
      // so the failing one reports its own error and holds nobody back.
      batchErrors.push(error instanceof Error ? error : new Error(String(error)));
      for (const id of [...chunk, ...(stepDeferredClaims ? claimed : [])]) await single(id);
      continue;
    }
    for (const [id, outcome] of batch.outcomes) outcomes.set(id, outcome);
    for (const [id, failure] of batch.failures) failures.set(id, failure);
    const given = new Set(chunk);
    for (const id of batch.deferred) if (stepDeferredClaims || given.has(id)) await single(id);
  }
  return { outcomes, failures, batchErrors };
}

interface BatchOutcome {
  readonly outcomes: Map<string, LiquidationStepOutcome>;
  readonly failures: Map<string, Error>;
  /** Locked but not stepped here: each runs through executeLiquidationStep once the batch commits. */
  readonly deferred: string[];
}

interface LockedRow {
  readonly id: string;
  readonly account_id: string;
  readonly status: string;
  readonly next_step_at: Date | null;
}

/** A liquidation the batch steps, with what its account's margin run and book say. */
interface Stepped {
  readonly liquidationId: string;
  readonly account: AccountEntity;
  readonly stepNumber: number;
  readonly idempotencyKey: string;
  readonly receipt: ReturnType<typeof computeMarginReceipt>;
  /** Set once the batch's receipts are stored. */
  receiptId: string;
}

interface SliceStep extends Stepped {
  readonly plan: SliceStepPlan;
}

/** A final step as planned: its collateral conversion (if it owed anything), its deficit and the balances left. */
interface FinalCandidate extends Stepped {
  readonly conversion: PlannedCollateralConversion | null;
  /** > 0 when the account is flat and owes its settlement asset after the conversion. */
  readonly deficit: Decimal;
  /** The account's balances by asset after the conversion. */
  readonly balances: ReadonlyMap<string, Decimal>;
  readonly scale: number;
}

/** A final step the batch writes: nothing to cover, or a deficit the insurance fund covers in full. */
interface FinalStep extends FinalCandidate {
  readonly cover: { readonly entries: readonly JournalEntryDraft[]; readonly details: Record<string, unknown> } | null;
  /** A balance still below zero once converted and covered: the account stays 'liquidating'. */
  readonly negativeAfter: boolean;
  /** The conversion's posted entry, once written. */
  conversionEntryId?: string;
}

const LIQUIDATION_COLUMNS = `id, account_id, status, next_step_at`;

async function stepBatch(
  manager: EntityManager,
  givenIds: readonly string[],
  claim: number,
  nowEpochMs: number,
  override: number | undefined,
  onClaimed: (ids: readonly string[]) => void,
): Promise<BatchOutcome> {
  const outcomes = new Map<string, LiquidationStepOutcome>();
  const failures = new Map<string, Error>();
  const deferred: string[] = [];
  const locked = await lockBatch(manager, givenIds, claim, nowEpochMs);
  const given = new Set(givenIds);
  onClaimed(locked.filter((row) => !given.has(row.id)).map((row) => row.id));
  for (const id of givenIds) {
    if (!locked.some((row) => row.id === id)) {
      failures.set(id, new LiquidationError('UNKNOWN_LIQUIDATION', `no liquidation ${id}`));
    }
  }
  const active: LockedRow[] = [];
  for (const row of locked) {
    const base = { liquidationId: row.id, accountId: row.account_id };
    if (row.status === 'completed' || row.status === 'failed') {
      outcomes.set(row.id, { ...base, status: 'finished', stepNumber: null, nextStepAtEpochMs: null });
    } else if (row.next_step_at !== null && new Date(row.next_step_at).getTime() > nowEpochMs) {
      const next = new Date(row.next_step_at).getTime();
      outcomes.set(row.id, { ...base, status: 'waiting', stepNumber: null, nextStepAtEpochMs: next });
    } else {
      active.push(row);
    }
  }
  if (active.length === 0) return { outcomes, failures, deferred };
  const accounts = await lockAccounts(
    manager,
    active.map((row) => row.account_id),
  );
  const stepNumbers = await nextStepNumbers(
    manager,
    active.map((row) => row.id),
  );
  const parameterSet = await activeParameterSet(manager, nowEpochMs);
  const accountIds = [...accounts.keys()];
  const requests = await buildMarginRequests(manager, accountIds, nowEpochMs, { parameterSet });
  const { books, openPositions } = await loadBooks(manager, accountIds);
  const balances = await loadBalances(manager, [...accounts.values()]);
  const scales = await assetScales(manager, [
    ...[...accounts.values()].map((account) => account.settlementAsset),
    ...[...books.values()].flatMap((book) => book.map((p) => p.instrument.settlementAsset)),
  ]);
  const houses = {
    liquidationAccountId: await houseAccountId(manager, 'liquidation'),
    insuranceFundAccountId: await houseAccountId(manager, 'insurance_fund'),
  };
  const slices: SliceStep[] = [];
  const candidates: FinalCandidate[] = [];
  const { indexPrices } = await latestMarketData(manager, {
    instrumentIds: [],
    underlyings: conversionUnderlyings(parameterSet, [
      ...new Set([...balances.values()].flatMap((balance) => [...balance.others.keys()])),
    ]),
    asOfEpochMs: nowEpochMs,
  });
  const conversionPriceAgeMsMax = override ?? parameterSet.body.liquidation.conversionPriceAgeMsMax;
  const seenAccounts = new Set<string>();
  for (const row of active) {
    const account = accounts.get(row.account_id);
    const stepNumber = stepNumbers.get(row.id) ?? 1;
    const request = requests.get(row.account_id);
    const balance = balances.get(row.account_id);
    // Anything unusual goes the one-by-one way, which reports it exactly as it would alone.
    if (
      account === undefined ||
      seenAccounts.has(account.id) ||
      stepNumber > LIQUIDATION_STEPS_MAX ||
      request === undefined ||
      request instanceof Error ||
      balance === undefined ||
      balance.others.size > CONVERTED_ASSETS_MAX
    ) {
      deferred.push(row.id);
      continue;
    }
    seenAccounts.add(account.id);
    const idempotencyKey = liquidationStepKey(row.id, stepNumber);
    try {
      const receipt = computeMarginReceipt(request);
      const book = books.get(account.id) ?? [];
      const stepped = { liquidationId: row.id, account, stepNumber, idempotencyKey, receipt, receiptId: '' };
      const { settlement, others } = balance;
      const debt = others.size === 0 && settlement.isNegative() ? settlement.negated() : ZERO;
      if (book.length > 0 && (receipt.result.status !== 'healthy' || !debt.isZero())) {
        const plan = planSliceStep({
          account,
          liquidationId: row.id,
          parameters: parameterSet.body.liquidation,
          result: receipt.result,
          book,
          debt,
          scales,
          ...houses,
          idempotencyKey,
        });
        slices.push({ ...stepped, plan });
        continue;
      }
      // As executeLiquidationStep: an account owing anything converts its other collateral first.
      const owing = settlement.isNegative() || [...others.values()].some((amount) => amount.isNegative());
      const scale = scales.get(account.settlementAsset) as number;
      const conversion = owing
        ? planCollateralConversion({
            account,
            parameterSet,
            idempotencyKey,
            nowEpochMs,
            priceAgeMsMax: conversionPriceAgeMsMax,
            balances: others,
            indexPrices,
            ...houses,
            settlementAssetScale: scale,
          })
        : null;
      const after = new Map<string, Decimal>([[account.settlementAsset, settlement], ...others]);
      if (conversion?.status === 'converted') applyPostings(after, account.id, conversion.journalEntry);
      const settlementAfter = after.get(account.settlementAsset) ?? ZERO;
      if (conversion?.status === 'converted' && book.length > 0 && settlementAfter.isNegative()) {
        slices.push({ ...stepped, plan: conversionStepPlan(receipt.result, conversion) });
        continue;
      }
      const flat = (openPositions.get(account.id) ?? 0) === 0 && conversion?.status !== 'refused';
      const deficit = flat && settlementAfter.isNegative() ? settlementAfter.negated() : ZERO;
      candidates.push({ ...stepped, conversion, deficit, balances: after, scale });
    } catch {
      deferred.push(row.id);
    }
  }
  const mode = parameterSet.body.liquidation.deficitMode;
  const ccpCapitalAccountId = await houseAccountId(manager, 'ccp_capital');
  const waterfall =
    mode === 'default-waterfall' ? await waterfallResources(manager, candidates, [...accounts.values()]) : null;
  const finals = settleFinals(
    slices,
    candidates,
    await houseBalances(manager, [houses.insuranceFundAccountId, ccpCapitalAccountId]),
    mode,
    { ...houses, ccpCapitalAccountId },
    waterfall,
    deferred,
  );
  const stepped = [...slices, ...finals];
  if (stepped.length === 0) return { outcomes, failures, deferred };
  const receiptIds = await storeReceipts(
    manager,
    stepped.map(({ account, receipt }) => ({ accountId: account.id, receipt })),
  );
  stepped.forEach((step, index) => {
    step.receiptId = receiptIds[index] as string;
  });
  const events: AccountEventDraft[] = [];
  const nextStepAtEpochMs = nowEpochMs + parameterSet.body.liquidation.coolDownMs;
  const houseFills: SliceFill[] = [];
  await writeSlices(manager, slices, nowEpochMs, nextStepAtEpochMs, events, houseFills);
  const written = await postFinalEntries(manager, finals, parameterSet, nowEpochMs);
  await writeFinals(manager, written, parameterSet, nowEpochMs, events);
  await recordAccountEvents(manager, orderedEvents(events, stepped));
  // Last, so the rows every concurrent batch needs are held only for the commit.
  await movePositions(manager, houseFills, nowEpochMs);
  for (const step of slices) {
    outcomes.set(step.liquidationId, {
      liquidationId: step.liquidationId,
      accountId: step.account.id,
      status: 'slice',
      stepNumber: step.stepNumber,
      nextStepAtEpochMs,
    });
  }
  for (const step of finals) {
    outcomes.set(step.liquidationId, {
      liquidationId: step.liquidationId,
      accountId: step.account.id,
      status: 'completed',
      stepNumber: step.stepNumber,
      nextStepAtEpochMs: null,
    });
  }
  return { outcomes, failures, deferred };
}

/**
 * The given liquidations locked in id order (waiting for a step another transaction runs, as one by one),
 * then up to `claim` other due ones, oldest due first, skipping any a concurrent step holds.
 */
async function lockBatch(
  manager: EntityManager,
  givenIds: readonly string[],
  claim: number,
  nowEpochMs: number,
): Promise<LockedRow[]> {
  const given: LockedRow[] =
    givenIds.length === 0
      ? []
      : await manager.query(
          `SELECT ${LIQUIDATION_COLUMNS} FROM liquidation WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
          [arrayParameter(givenIds)],
        );
  if (claim === 0) return given;
  const claimed: LockedRow[] = await manager.query(
    `SELECT ${LIQUIDATION_COLUMNS} FROM liquidation
      WHERE status IN ('pending', 'in_progress') AND (next_step_at IS NULL OR next_step_at <= $1)
        AND id <> ALL($2::uuid[])
      ORDER BY next_step_at NULLS FIRST, id LIMIT $3 FOR UPDATE SKIP LOCKED`,
    [new Date(nowEpochMs), arrayParameter(givenIds), claim],
  );
  return [...given, ...claimed.sort((a, b) => compareText(a.id, b.id))];
}

/** The number each liquidation's next step takes (1 for the first), in one statement. */
async function nextStepNumbers(
  manager: EntityManager,
  liquidationIds: readonly string[],
): Promise<Map<string, number>> {
  const rows: { liquidation_id: string; last: number }[] = await manager.query(
    `SELECT liquidation_id, max(step_number)::int AS last FROM liquidation_step
      WHERE liquidation_id = ANY($1::uuid[]) GROUP BY liquidation_id`,
    [arrayParameter(liquidationIds)],
  );
  const last = new Map(rows.map((row) => [row.liquidation_id, Number(row.last)]));
  return new Map(liquidationIds.map((id) => [id, (last.get(id) ?? 0) + 1]));
}

/** Every account's liquidatable book (liquidatableBook), from one read of positions and one of instruments. */
async function loadBooks(
  manager: EntityManager,
  accountIds: readonly string[],
): Promise<{ books: Map<string, BookPosition[]>; openPositions: Map<string, number> }> {
  const rows: { account_id: string; instrument_id: string; quantity: string; average_entry_price: string | null }[] =
    await manager.query(
      `SELECT account_id, instrument_id, quantity::text AS quantity, average_entry_price::text AS average_entry_price
         FROM position WHERE account_id = ANY($1::uuid[]) AND quantity <> 0 ORDER BY account_id, instrument_id`,
      [arrayParameter(accountIds)],
    );
  const instrumentIds = [...new Set(rows.map((row) => row.instrument_id))];
  const instruments =
    instrumentIds.length === 0
      ? []
      : await manager
          .createQueryBuilder(InstrumentEntity, 'instrument')
          .where('instrument.id IN (:...ids)', { ids: instrumentIds })
          .getMany();
  const byId = new Map(instruments.map((row) => [row.id, row]));
  const positionsByAccount = new Map<
    string,
    { instrumentId: string; quantity: Decimal; averageEntryPrice: Decimal | null }[]
  >();
  for (const row of rows) {
    const list = positionsByAccount.get(row.account_id) ?? [];
    list.push({
      instrumentId: row.instrument_id,
      quantity: new Decimal(row.quantity),
      averageEntryPrice: row.average_entry_price === null ? null : new Decimal(row.average_entry_price),
    });
    positionsByAccount.set(row.account_id, list);
  }
  return {
    books: new Map(
      [...positionsByAccount].map(([accountId, positions]) => [accountId, liquidatableBook(positions, byId)]),
    ),
    // Every open position, spot included: a final step covers a deficit only once the account is flat.
    openPositions: new Map([...positionsByAccount].map(([accountId, positions]) => [accountId, positions.length])),
  };
}

interface Balances {
  readonly settlement: Decimal;
  readonly others: Map<string, Decimal>;
}

/** Each account's settlement balance and its other non-zero balances (accountBalances of many accounts). */
async function loadBalances(
  manager: EntityManager,
  accounts: readonly AccountEntity[],
): Promise<Map<string, Balances>> {
  const rows: { account_id: string; asset: string; balance: string }[] = await manager.query(
    `SELECT account_id, asset, balance::text AS balance FROM account_balance
      WHERE account_id = ANY($1::uuid[]) AND balance <> 0 ORDER BY account_id, asset`,
    [arrayParameter(accounts.map((account) => account.id))],
  );
  const balances = new Map<string, Balances>(
    accounts.map((account) => [account.id, { settlement: ZERO, others: new Map<string, Decimal>() }]),
  );
  const settlementAssets = new Map(accounts.map((account) => [account.id, account.settlementAsset]));
  for (const row of rows) {
    const entry = balances.get(row.account_id) as Balances;
    if (settlementAssets.get(row.account_id) === row.asset) {
      balances.set(row.account_id, { ...entry, settlement: new Decimal(row.balance) });
    } else {
      entry.others.set(row.asset, new Decimal(row.balance));
    }
  }
  return balances;
}

/**
 * Applies `fills` (in order: the batch's id order) to their positions, locked in (account, instrument)
 * order, and writes each once: a position several fills move (the liquidation account's) moves as it would
 * one fill at a time, rounded as PostgreSQL stores it between fills.
 */
async function movePositions(manager: EntityManager, fills: readonly SliceFill[], nowEpochMs: number): Promise<void> {
  if (fills.length === 0) return;
  const positions = await lockPositions(
    manager,
    fills.map(({ change }) => [change.accountId, change.instrumentId] as const),
  );
  for (const { change, instrument } of fills) {
    const moved = positions.get(positionKey(change.accountId, change.instrumentId)) as MovedPosition;
    const next = applyFill(
      moved.position,
      {
        side: change.quantityChange.isNegative() ? 'sell' : 'buy',
        quantity: change.quantityChange.abs(),
        price: change.price,
      },
      instrument,
    ).position;
    moved.position = {
      quantity: stored(next.quantity),
      averageEntryPrice:
        next.averageEntryPrice === null || next.quantity.isZero() ? null : stored(next.averageEntryPrice),
      realisedPnl: stored(moved.position.realisedPnl.plus(change.realisedPnl)),
    };
    moved.fills += 1;
  }
  await updatePositions(manager, [...positions.values()], nowEpochMs);
}

/** numeric(38,18): what PostgreSQL keeps of a value written to a position column (it rounds half away from 0). */
const POSITION_SCALE = 18;
const stored = (value: Decimal): Decimal => value.toDecimalPlaces(POSITION_SCALE, Decimal.ROUND_HALF_UP);

interface MovedPosition {
  readonly accountId: string;
  readonly instrumentId: string;
  readonly version: string;
  position: ClearingPosition;
  fills: number;
}

/** Every slice's journal entry, position changes, step row with its fills, liquidation status and event. */
async function writeSlices(
  manager: EntityManager,
  slices: readonly SliceStep[],
  nowEpochMs: number,
  nextStepAtEpochMs: number,
  events: AccountEventDraft[],
  houseFills: SliceFill[],
): Promise<void> {
  if (slices.length === 0) return;
  const withEntries = slices.filter((step) => step.plan.journalEntry !== null);
  const posted = await postJournalEntries(
    manager,
    withEntries.map((step) => step.plan.journalEntry as NonNullable<SliceStepPlan['journalEntry']>),
  );
  const journalEntryIds = new Map<string, string>();
  posted.forEach((result, index) => {
    const step = withEntries[index] as SliceStep;
    // A key already used means a step this batch does not know about: rolled back, run one by one.
    if (result instanceof LedgerError) throw result;
    if (!result.created) throw new LedgerError('IDEMPOTENCY_KEY_REUSED', `step key ${step.idempotencyKey} exists`);
    journalEntryIds.set(step.liquidationId, result.journalEntryId);
  });
  // The liquidated accounts' own positions now; the liquidation account's, which every batch shares, last.
  const fills = slices.flatMap((step) => step.plan.fills);
  await movePositions(
    manager,
    fills.filter((fill) => fill.role === 'liquidated'),
    nowEpochMs,
  );
  houseFills.push(...fills.filter((fill) => fill.role === 'liquidation_account'));
  await insertSteps(
    manager,
    slices.map((step) => ({
      liquidationId: step.liquidationId,
      stepNumber: step.stepNumber,
      kind: 'slice' as const,
      idempotencyKey: step.idempotencyKey,
      receiptId: step.receiptId,
      journalEntryId: journalEntryIds.get(step.liquidationId) ?? null,
      details: step.plan.details,
      fills: step.plan.fills.map(sliceFillRecord),
    })),
    nowEpochMs,
  );
  await manager.query(`UPDATE liquidation SET status = 'in_progress', next_step_at = $2 WHERE id = ANY($1::uuid[])`, [
    arrayParameter(slices.map((step) => step.liquidationId)),
    new Date(nextStepAtEpochMs),
  ]);
  for (const step of slices) {
    events.push({
      accountId: step.account.id,
      kind: 'liquidation-step',
      dedupeKey: `liquidation-step-${step.liquidationId}-${step.stepNumber}`,
      payload: {
        liquidationId: step.liquidationId,
        stepNumber: step.stepNumber,
        receiptId: step.receiptId,
        ...step.plan.event,
      },
    });
  }
}

const positionKey = (accountId: string, instrumentId: string): string => `${accountId}/${instrumentId}`;

/**
 * The positions of `keys` locked FOR UPDATE in (account, instrument) order, each created flat first when
 * missing (the liquidation account's first fill in an instrument), as lockPosition does one at a time.
 */
async function lockPositions(
  manager: EntityManager,
  keys: readonly (readonly [string, string])[],
): Promise<Map<string, MovedPosition>> {
  const unique = [
    ...new Map(
      keys.map(([account, instrument]) => [positionKey(account, instrument), [account, instrument] as const]),
    ).values(),
  ];
  const accounts = arrayParameter(unique.map(([account]) => account));
  const instruments = arrayParameter(unique.map(([, instrument]) => instrument));
  const select = () =>
    manager.query(
      `SELECT position.account_id, position.instrument_id, quantity::text AS quantity,
              average_entry_price::text AS average_entry_price, realised_pnl::text AS realised_pnl,
              version::text AS version
         FROM position JOIN unnest($1::uuid[], $2::uuid[]) AS wanted(account_id, instrument_id)
           ON position.account_id = wanted.account_id AND position.instrument_id = wanted.instrument_id
        ORDER BY position.account_id, position.instrument_id FOR UPDATE OF position`,
      [accounts, instruments],
    ) as Promise<
      {
        account_id: string;
        instrument_id: string;
        quantity: string;
        average_entry_price: string | null;
        realised_pnl: string;
        version: string;
      }[]
    >;
  let rows = await select();
  if (rows.length < unique.length) {
    await manager.query(
      `INSERT INTO position (account_id, instrument_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])
       ORDER BY 1, 2 ON CONFLICT (account_id, instrument_id) DO NOTHING`,
      [accounts, instruments],
    );
    rows = await select();
  }
  const positions = new Map<string, MovedPosition>();
  for (const row of rows) {
    positions.set(positionKey(row.account_id, row.instrument_id), {
      accountId: row.account_id,
      instrumentId: row.instrument_id,
      version: row.version,
      position: {
        quantity: new Decimal(row.quantity),
        averageEntryPrice: row.average_entry_price === null ? null : new Decimal(row.average_entry_price),
        realisedPnl: new Decimal(row.realised_pnl),
      },
      fills: 0,
    });
  }
  for (const [account, instrument] of unique) {
    if (!positions.has(positionKey(account, instrument))) {
      throw new LiquidationError('MISSING_POSITION', `no position ${account}/${instrument}`);
    }
  }
  return positions;
}

/** Every moved position by compare-and-swap on its version, the version advanced once per fill applied. */
async function updatePositions(
  manager: EntityManager,
  moved: readonly MovedPosition[],
  nowEpochMs: number,
): Promise<void> {
  const [, affected] = (await manager.query(
    `UPDATE position SET quantity = next.quantity, average_entry_price = next.average_entry_price,
            realised_pnl = next.realised_pnl, version = position.version + next.fills, updated_at = $7
       FROM unnest($1::uuid[], $2::uuid[], $3::numeric[], $4::numeric[], $5::numeric[], $6::bigint[], $8::int[])
         AS next(account_id, instrument_id, quantity, average_entry_price, realised_pnl, version, fills)
      WHERE position.account_id = next.account_id AND position.instrument_id = next.instrument_id
        AND position.version = next.version`,
    [
      arrayParameter(moved.map((m) => m.accountId)),
      arrayParameter(moved.map((m) => m.instrumentId)),
      arrayParameter(moved.map((m) => m.position.quantity.toFixed())),
      arrayParameter(
        moved.map((m) => (m.position.averageEntryPrice === null ? null : m.position.averageEntryPrice.toFixed())),
      ),
      arrayParameter(moved.map((m) => m.position.realisedPnl.toFixed())),
      arrayParameter(moved.map((m) => m.version)),
      new Date(nowEpochMs),
      arrayParameter(moved.map((m) => String(m.fills))),
    ],
  )) as [unknown, number];
  if (affected !== moved.length) {
    throw new LiquidationError('MISSING_POSITION', `position compare-and-swap updated ${affected} of ${moved.length}`);
  }
}

interface StepRow {
  readonly liquidationId: string;
  readonly stepNumber: number;
  readonly kind: 'slice' | 'final';
  readonly idempotencyKey: string;
  readonly receiptId: string;
  readonly journalEntryId: string | null;
  readonly details: unknown;
  readonly fills: readonly LiquidationFillRecord[];
}

/** The steps and their fills in one statement (insertLiquidationStep's rows, in the batch's order). */
async function insertSteps(manager: EntityManager, steps: readonly StepRow[], nowEpochMs: number): Promise<void> {
  const fills = steps.flatMap((step, index) => step.fills.map((fill) => ({ step: index + 1, fill })));
  const column = <Row>(rows: readonly Row[], pick: (row: Row) => string | null) => arrayParameter(rows.map(pick));
  const [result] = (await manager.query(
    `WITH step_input AS (
       SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::jsonb[])
         WITH ORDINALITY AS input(liquidation_id, step_number, kind, idempotency_key, receipt_id, journal_entry_id,
                                  details, ordinal)
     ), step AS (
       INSERT INTO liquidation_step (liquidation_id, step_number, kind, idempotency_key, receipt_id, journal_entry_id,
                                     details, executed_at)
       SELECT liquidation_id, step_number, kind, idempotency_key, receipt_id, journal_entry_id, details, $8
         FROM step_input ORDER BY ordinal
       RETURNING id, idempotency_key
     ), step_id AS (
       SELECT step.id, step_input.ordinal FROM step JOIN step_input USING (idempotency_key)
     ), filled AS (
       INSERT INTO liquidation_fill (liquidation_step_id, account_id, instrument_id, role, quantity, price)
       SELECT step_id.id, fill.account_id, fill.instrument_id, fill.role, fill.quantity, fill.price
         FROM unnest($9::int[], $10::uuid[], $11::uuid[], $12::text[], $13::numeric[], $14::numeric[])
           WITH ORDINALITY AS fill(step_ordinal, account_id, instrument_id, role, quantity, price, ordinal)
         JOIN step_id ON step_id.ordinal = fill.step_ordinal
        ORDER BY fill.ordinal
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM step)::int AS steps, (SELECT count(*) FROM filled)::int AS fills`,
    [
      column(steps, (step) => step.liquidationId),
      column(steps, (step) => String(step.stepNumber)),
      column(steps, (step) => step.kind),
      column(steps, (step) => step.idempotencyKey),
      column(steps, (step) => step.receiptId),
      column(steps, (step) => step.journalEntryId),
      column(steps, (step) => JSON.stringify(step.details)),
      new Date(nowEpochMs),
      column(fills, ({ step }) => String(step)),
      column(fills, ({ fill }) => fill.accountId),
      column(fills, ({ fill }) => fill.instrumentId),
      column(fills, ({ fill }) => fill.role),
      column(fills, ({ fill }) => fill.quantity.toFixed()),
      column(fills, ({ fill }) => fill.price.toFixed()),
    ],
  )) as { steps: number; fills: number }[];
  if (Number(result?.steps) !== steps.length || Number(result?.fills) !== fills.length) {
    throw new Error(
      `inserted ${result?.steps} steps and ${result?.fills} fills, expected ${steps.length} and ${fills.length}`,
    );
  }
}

/**
 * Final steps with nothing to convert or cover: nothing posts, so the step's margin run is also the one that
 * decides the account's state (as executeFinalStep reuses it). Open calls are marked 'liquidated', a new
 * call opens for an account left below IM, states move by compare-and-swap, the liquidations complete.
 */
async function writeFinals(
  manager: EntityManager,
  finals: readonly FinalStep[],
  parameterSet: ActiveParameterSet,
  nowEpochMs: number,
  events: AccountEventDraft[],
): Promise<void> {
  if (finals.length === 0) return;
  const now = new Date(nowEpochMs);
  const accountIds = finals.map((step) => step.account.id);
  const liquidated: { id: string; account_id: string; resolved_at: Date }[] = await manager
    .query(
      `UPDATE margin_call SET status = 'liquidated', resolved_at = $2 WHERE account_id = ANY($1::uuid[]) AND status = 'open'
     RETURNING id, account_id, resolved_at`,
      [arrayParameter(accountIds), now],
    )
    .then((result: [typeof liquidated, number]) => result[0]);
  const newStates = new Map(
    finals.map((step) => [
      step.account.id,
      step.negativeAfter ? ('liquidating' as const) : stateAfterLiquidation(step.receipt.result),
    ]),
  );
  const deficitOf = (step: FinalStep): string => step.deficit.toFixed();
  const calling = finals.filter((step) => newStates.get(step.account.id) === 'margin_call');
  const opened = new Map<
    string,
    { id: string; shortfall: string; deadline_at: Date; receipt_id: string; asset: string }
  >();
  if (calling.length > 0) {
    const deadline = new Date(nowEpochMs + parameterSet.body.marginCall.deadlineMs);
    const rows: {
      id: string;
      account_id: string;
      shortfall: string;
      deadline_at: Date;
      receipt_id: string;
      asset: string;
    }[] = await manager.query(
      `INSERT INTO margin_call (account_id, receipt_id, shortfall, asset, deadline_at, status, resolved_at)
         SELECT account_id, receipt_id, shortfall, asset, $5, 'open', NULL
           FROM unnest($1::uuid[], $2::bigint[], $3::numeric[], $4::text[]) WITH ORDINALITY
             AS input(account_id, receipt_id, shortfall, asset, ordinal)
          ORDER BY ordinal
         RETURNING id, account_id, shortfall::text AS shortfall, deadline_at, receipt_id::text AS receipt_id, asset`,
      [
        arrayParameter(calling.map((step) => step.account.id)),
        arrayParameter(calling.map((step) => step.receiptId)),
        arrayParameter(calling.map((step) => shortfallOf(step.receipt.result).toFixed())),
        arrayParameter(calling.map((step) => step.receipt.result.marginAsset)),
        deadline,
      ],
    );
    for (const row of rows) opened.set(row.account_id, row);
  }
  const moving = finals.filter((step) => newStates.get(step.account.id) !== step.account.marginState);
  if (moving.length > 0) {
    const [, affected] = (await manager.query(
      `UPDATE account SET margin_state = next.state, margin_state_version = account.margin_state_version + 1
         FROM unnest($1::uuid[], $2::text[], $3::bigint[]) AS next(id, state, version)
        WHERE account.id = next.id AND account.margin_state_version = next.version`,
      [
        arrayParameter(moving.map((step) => step.account.id)),
        arrayParameter(moving.map((step) => newStates.get(step.account.id) as string)),
        arrayParameter(moving.map((step) => String(step.account.marginStateVersion))),
      ],
    )) as [unknown, number];
    if (affected !== moving.length) {
      throw new LiquidationError(
        'MISSING_POSITION',
        `margin state compare-and-swap moved ${affected} of ${moving.length}`,
      );
    }
  }
  await manager.query(
    `UPDATE liquidation SET status = 'completed', deficit = next.deficit, completed_at = $3, next_step_at = NULL
       FROM unnest($1::uuid[], $2::numeric[]) AS next(id, deficit) WHERE liquidation.id = next.id`,
    [arrayParameter(finals.map((step) => step.liquidationId)), arrayParameter(finals.map(deficitOf)), now],
  );
  await insertSteps(
    manager,
    finals.map((step) => ({
      liquidationId: step.liquidationId,
      stepNumber: step.stepNumber,
      kind: 'final' as const,
      idempotencyKey: step.idempotencyKey,
      receiptId: step.receiptId,
      journalEntryId: step.conversionEntryId ?? null,
      details: {
        deficit: deficitOf(step),
        uncovered: '0',
        newState: newStates.get(step.account.id),
        marginCallId: opened.get(step.account.id)?.id ?? null,
        conversion: conversionDetails(step.conversion),
        cover: step.cover?.details ?? null,
      },
      fills: [],
    })),
    nowEpochMs,
  );
  for (const step of finals) {
    const accountId = step.account.id;
    for (const call of liquidated.filter((row) => row.account_id === accountId)) {
      events.push({
        accountId,
        kind: 'margin-call-resolved',
        dedupeKey: `margin-call-resolved:${call.id}`,
        payload: { marginCallId: call.id, status: 'liquidated', resolvedAt: new Date(call.resolved_at).toISOString() },
      });
    }
    const newState = newStates.get(accountId) as AccountMarginState;
    if (newState !== step.account.marginState) {
      const { result } = step.receipt;
      events.push({
        accountId,
        kind: 'margin-state-changed',
        dedupeKey: `margin-state:${step.receiptId}`,
        payload: {
          fromState: step.account.marginState,
          toState: newState,
          marginAsset: result.marginAsset,
          equity: result.equity,
          initialMargin: result.initialMargin,
          maintenanceMargin: result.maintenanceMargin,
          receiptId: step.receiptId,
        },
      });
      const call = opened.get(accountId);
      if (call !== undefined) {
        events.push({
          accountId,
          kind: 'margin-call-opened',
          dedupeKey: `margin-call-opened:${call.id}`,
          payload: {
            marginCallId: call.id,
            shortfall: new Decimal(call.shortfall).toFixed(),
            asset: call.asset,
            deadlineAt: new Date(call.deadline_at).toISOString(),
            receiptId: call.receipt_id,
          },
        });
      }
    }
    events.push({
      accountId,
      kind: 'liquidation-completed',
      dedupeKey: `liquidation-completed-${step.liquidationId}`,
      payload: {
        liquidationId: step.liquidationId,
        steps: step.stepNumber,
        deficit: deficitOf(step),
        uncovered: '0',
        marginState: newState,
        conversion: conversionDetails(step.conversion),
      },
    });
  }
}

/** House accounts' balances by asset, before the batch writes anything (followed through it in id order). */
async function houseBalances(
  manager: EntityManager,
  accountIds: readonly string[],
): Promise<Map<string, Map<string, Decimal>>> {
  const rows: { account_id: string; asset: string; balance: string }[] = await manager.query(
    `SELECT account_id, asset, balance::text AS balance FROM account_balance WHERE account_id = ANY($1::uuid[])`,
    [arrayParameter(accountIds)],
  );
  const balances = new Map(accountIds.map((id) => [id, new Map<string, Decimal>()]));
  for (const row of rows) balances.get(row.account_id)?.set(row.asset, new Decimal(row.balance));
  return balances;
}

/** A balance as a deficit layer resource: never negative, at the asset's scale (rounded down). */
function availableOf(balance: Decimal | undefined, scale: number): Decimal {
  if (balance === undefined || balance.isNegative()) return ZERO;
  return balance.toDecimalPlaces(scale, Decimal.ROUND_DOWN);
}

/** What the default waterfall covers in a batch read, for the deficits it may cover there. */
interface BatchWaterfall {
  readonly contributions: ReadonlyMap<string, readonly DefaultFundContribution[]>;
  /** By liquidation id: the defaulter-margin layer coverLiquidationDeficit would pick (locked here). */
  readonly defaulterMargins: ReadonlyMap<string, DeficitResource>;
}

/**
 * The waterfall's resources for the batch's deficits: every firm's default-fund contribution in their assets
 * (one read) and each defaulter's margin layer (one read, the accounts then locked as one by one locks its
 * pick). A defaulter whose firm has another account in the batch gets none (its cover is deferred): a step
 * of that account earlier in the batch could change which account, holding what, is the firm's margin.
 */
async function waterfallResources(
  manager: EntityManager,
  candidates: readonly FinalCandidate[],
  batchAccounts: readonly AccountEntity[],
): Promise<BatchWaterfall | null> {
  const firmCounts = new Map<string, number>();
  for (const account of batchAccounts) {
    if (account.memberFirmId !== null) {
      firmCounts.set(account.memberFirmId, (firmCounts.get(account.memberFirmId) ?? 0) + 1);
    }
  }
  const covering = candidates.filter(
    (step) =>
      !step.deficit.isZero() && step.account.memberFirmId !== null && firmCounts.get(step.account.memberFirmId) === 1,
  );
  if (covering.length === 0) return null;
  const contributions = await defaultFundContributions(
    manager,
    await houseAccountId(manager, 'default_fund'),
    covering.map((step) => step.account.settlementAsset),
  );
  const rows: { ordinal: string; id: string; balance: string }[] = await manager.query(
    `SELECT DISTINCT ON (want.ordinal) want.ordinal::text AS ordinal, account.id, balance.balance::text AS balance
       FROM unnest($1::uuid[], $2::uuid[], $3::text[]) WITH ORDINALITY AS want(firm, defaulter, asset, ordinal)
       JOIN account ON account.member_firm_id = want.firm AND account.id <> want.defaulter AND account.kind <> 'house'
       JOIN account_balance balance ON balance.account_id = account.id AND balance.asset = want.asset
        AND balance.balance > 0
      WHERE NOT EXISTS (SELECT 1 FROM position WHERE position.account_id = account.id AND position.quantity <> 0)
      ORDER BY want.ordinal, balance.balance DESC, account.id`,
    [
      arrayParameter(covering.map((step) => step.account.memberFirmId as string)),
      arrayParameter(covering.map((step) => step.account.id)),
      arrayParameter(covering.map((step) => step.account.settlementAsset)),
    ],
  );
  const picked = new Map(rows.map((row) => [Number(row.ordinal) - 1, row]));
  await lockAccounts(
    manager,
    rows.map((row) => row.id),
  );
  const defaulterMargins = new Map<string, DeficitResource>();
  covering.forEach((step, index) => {
    const row = picked.get(index);
    defaulterMargins.set(
      step.liquidationId,
      row === undefined
        ? { accountId: `${EMPTY_RESOURCE_ID}-margin`, balance: ZERO }
        : { accountId: row.id, balance: new Decimal(row.balance).toDecimalPlaces(step.scale, Decimal.ROUND_DOWN) },
    );
  });
  return { contributions, defaulterMargins };
}

/** Adds an entry's postings to `accountId` into its balances by asset. */
function applyPostings(
  balances: Map<string, Decimal>,
  accountId: string,
  entry: { readonly postings: readonly { accountId: string; asset: string; amount: Decimal }[] },
): void {
  for (const posting of entry.postings) {
    if (posting.accountId !== accountId) continue;
    balances.set(posting.asset, (balances.get(posting.asset) ?? ZERO).plus(posting.amount));
  }
}

/** A step that only converted collateral (positions remain, the settlement balance still negative). */
function conversionStepPlan(
  result: MarginResult,
  conversion: Extract<PlannedCollateralConversion, { status: 'converted' }>,
): SliceStepPlan {
  const converted = conversionDetails(conversion);
  return {
    journalEntry: conversion.journalEntry,
    fills: [],
    details: {
      equity: result.equity,
      initialMargin: result.initialMargin,
      maintenanceMargin: result.maintenanceMargin,
      closes: [],
      conversion: converted,
    },
    event: { penalty: conversion.penalty.toFixed(), closes: [], conversion: converted },
  };
}

/**
 * The final steps the batch writes, in id order as one by one, the house accounts (insurance fund, CCP
 * capital) followed as they move: each slice's and conversion's penalty paid in before, each cover taken
 * out. A deficit is covered here when its cover moves money only between accounts (no default-fund layer,
 * whose postings are tagged per firm) and leaves nothing uncovered: under auto-deleveraging, by the
 * insurance fund alone (then nothing is deleveraged, as coverLiquidationDeficit plans it); under the default
 * waterfall, by the insurance fund, the defaulter's margin and the CCP's capital (planWaterfallCover, on the
 * resources waterfallResources read). Any other deficit is deferred, to run one by one.
 */
function settleFinals(
  slices: readonly SliceStep[],
  candidates: readonly FinalCandidate[],
  house: Map<string, Map<string, Decimal>>,
  mode: ActiveParameterSet['body']['liquidation']['deficitMode'],
  houses: {
    readonly liquidationAccountId: string;
    readonly insuranceFundAccountId: string;
    readonly ccpCapitalAccountId: string;
  },
  waterfall: BatchWaterfall | null,
  deferred: string[],
): FinalStep[] {
  const ordered = [
    ...slices.map((step) => ({ id: step.liquidationId, slice: step, final: null })),
    ...candidates.map((step) => ({ id: step.liquidationId, slice: null, final: step })),
  ].sort((a, b) => compareText(a.id, b.id));
  const finals: FinalStep[] = [];
  const fundId = houses.insuranceFundAccountId;
  const follow = (balances: Map<string, Map<string, Decimal>>, entry: JournalEntryDraft) => {
    for (const [accountId, byAsset] of balances) applyPostings(byAsset, accountId, entry);
  };
  for (const { slice, final } of ordered) {
    if (slice !== null) {
      if (slice.plan.journalEntry !== null) follow(house, slice.plan.journalEntry);
      continue;
    }
    if (final === null) continue;
    const balanceAfter = new Map(final.balances);
    const houseAfter = new Map([...house].map(([id, byAsset]) => [id, new Map(byAsset)]));
    if (final.conversion?.status === 'converted') follow(houseAfter, final.conversion.journalEntry);
    let cover: FinalStep['cover'] = null;
    if (!final.deficit.isZero()) {
      const asset = final.account.settlementAsset;
      const base = {
        accountId: final.account.id,
        asset,
        settlementAssetScale: final.scale,
        deficit: final.deficit,
        insuranceFundAccountId: fundId,
        insuranceFundBalance: availableOf(houseAfter.get(fundId)?.get(asset), final.scale),
        idempotencyKey: `${final.idempotencyKey}-deficit`,
      };
      const planned = planCover(final, base, mode, houses, houseAfter, waterfall);
      if (planned === null) {
        deferred.push(final.liquidationId);
        continue;
      }
      for (const entry of planned.entries) {
        follow(houseAfter, entry);
        applyPostings(balanceAfter, final.account.id, entry);
      }
      cover = planned;
    }
    for (const [id, byAsset] of houseAfter) house.set(id, byAsset);
    const negativeAfter = [...balanceAfter.values()].some((amount) => amount.isNegative());
    finals.push({ ...final, cover, negativeAfter });
  }
  return finals;
}

/** A deficit's cover as the batch may write it, or null when it must run one by one. */
function planCover(
  final: FinalCandidate,
  base: DeficitBase,
  mode: ActiveParameterSet['body']['liquidation']['deficitMode'],
  houses: { readonly liquidationAccountId: string; readonly ccpCapitalAccountId: string },
  house: ReadonlyMap<string, ReadonlyMap<string, Decimal>>,
  waterfall: BatchWaterfall | null,
): NonNullable<FinalStep['cover']> | null {
  if (mode === 'auto-deleveraging') {
    if (base.insuranceFundBalance.lessThan(final.deficit)) return null;
    const result = coverDeficit({
      ...base,
      mode: 'auto-deleveraging',
      liquidatedPosition: {
        accountId: houses.liquidationAccountId,
        instrumentId: EMPTY_RESOURCE_ID,
        quantity: ZERO,
        bankruptcyPrice: Decimal.max(final.deficit, new Decimal(1)),
      },
      candidates: [],
    });
    if (!result.residualDeficit.isZero()) return null;
    return { entries: result.journalEntries, details: adlDetails(result, null, result.residualDeficit) };
  }
  const defaulterMargin = waterfall?.defaulterMargins.get(final.liquidationId);
  if (waterfall === null || defaulterMargin === undefined) return null;
  const plan = planWaterfallCover(final, base, {
    contributions: waterfall.contributions.get(base.asset) ?? [],
    defaulterMargin,
    ccpCapital: {
      accountId: houses.ccpCapitalAccountId,
      balance: availableOf(house.get(houses.ccpCapitalAccountId)?.get(base.asset), final.scale),
    },
  });
  const { journalEntries, uncovered } = plan.result;
  const tagged = journalEntries.some((entry) => entry.postings.some((posting) => !isUuid(posting.accountId)));
  if (!uncovered.isZero() || tagged) return null;
  return { entries: journalEntries, details: plan.details };
}

/**
 * Posts the finals' conversions and covers (one bulk post), then margins the accounts they moved money
 * of afresh (one batched read: their state follows the run after, as executeFinalStep's) and stores those
 * receipts. A final that posted nothing keeps its step's own run.
 */
async function postFinalEntries(
  manager: EntityManager,
  finals: readonly FinalStep[],
  parameterSet: ActiveParameterSet,
  nowEpochMs: number,
): Promise<FinalStep[]> {
  const entriesOf = (step: FinalStep): JournalEntryDraft[] => [
    ...(step.conversion?.status === 'converted' ? [step.conversion.journalEntry] : []),
    ...(step.cover?.entries ?? []),
  ];
  const posting = finals.filter((step) => entriesOf(step).length > 0);
  if (posting.length === 0) return [...finals];
  const drafts = posting.flatMap(entriesOf) as readonly LedgerEntryDraft[];
  const posted = await postJournalEntries(manager, drafts);
  const entryIds = new Map<string, string>();
  posted.forEach((result, index) => {
    if (result instanceof LedgerError) throw result;
    const key = (drafts[index] as LedgerEntryDraft).idempotencyKey;
    if (!result.created) throw new LedgerError('IDEMPOTENCY_KEY_REUSED', `entry ${key} exists`);
    entryIds.set(key, result.journalEntryId);
  });
  const requests = await buildMarginRequests(
    manager,
    posting.map((step) => step.account.id),
    nowEpochMs,
    { parameterSet },
  );
  const fresh = posting.map((step) => {
    const request = requests.get(step.account.id);
    if (request === undefined || request instanceof Error) {
      throw request ?? new LiquidationError('UNKNOWN_LIQUIDATION', `no margin request for ${step.account.id}`);
    }
    return computeMarginReceipt(request);
  });
  const receiptIds = await storeReceipts(
    manager,
    posting.map((step, index) => ({ accountId: step.account.id, receipt: fresh[index] as MarginReceipt })),
  );
  const rerun = new Map(
    posting.map((step, index) => [
      step.liquidationId,
      { receipt: fresh[index] as MarginReceipt, receiptId: receiptIds[index] as string },
    ]),
  );
  return finals.map((step) => {
    const run = rerun.get(step.liquidationId);
    if (run === undefined) return step;
    const conversionEntryId =
      step.conversion?.status === 'converted' ? entryIds.get(step.conversion.journalEntry.idempotencyKey) : undefined;
    return { ...step, ...run, ...(conversionEntryId === undefined ? {} : { conversionEntryId }) };
  });
}

type MarginReceipt = ReturnType<typeof computeMarginReceipt>;

function shortfallOf(result: MarginResult): Decimal {
  return new Decimal(result.initialMargin).minus(result.equityForInitialMargin);
}

/** The batch's events in the order one-by-one steps would record them: by liquidation id, each step's own order. */
function orderedEvents(events: readonly AccountEventDraft[], stepped: readonly Stepped[]): AccountEventDraft[] {
  const order = new Map(
    [...stepped]
      .sort((a, b) => compareText(a.liquidationId, b.liquidationId))
      .map((step, index) => [step.account.id, index]),
  );
  return events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => (order.get(a.event.accountId) ?? 0) - (order.get(b.event.accountId) ?? 0) || a.index - b.index)
    .map(({ event }) => event);
}

function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
