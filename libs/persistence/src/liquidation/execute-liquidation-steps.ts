import { Decimal, ZERO } from '@novation/money';
import { computeMarginReceipt } from '@novation/risk';
import type { DataSource, EntityManager } from 'typeorm';
import { recordAccountEvents, type AccountEventDraft } from '../events/account-events.js';
import { latestMarketData } from '../market-data/publish-marks.js';
import { storeReceipts } from '../margin/margin-account.js';
import { buildMarginRequests } from '../margin/margin-request-builder.js';
import { activeParameterSet } from '../margin/parameter-set-body.js';
import { inTransactionWithRetry, isUuid, lockAccounts } from '../margin/transaction.js';
import { postFinalEntries, writeFinals } from './batch/batch-final-writes.js';
import { applyPostings, conversionStepPlan, settleFinals } from './batch/batch-finals.js';
import { movePositions } from './batch/batch-positions.js';
import {
  houseBalances,
  loadBalances,
  loadBooks,
  lockBatch,
  nextStepNumbers,
  waterfallResources,
} from './batch/batch-reads.js';
import type { FinalCandidate, LockedRow, SliceStep } from './batch/batch-types.js';
import { orderedEvents, writeSlices } from './batch/batch-writes.js';
import { CONVERTED_ASSETS_MAX, conversionUnderlyings, planCollateralConversion } from './convert-collateral.js';
import {
  assertStepOptions,
  executeLiquidationStep,
  liquidationStepKey,
  planSliceStep,
  type LiquidationStepOutcome,
  type SliceFill,
} from './execute-liquidation-step.js';
import { LiquidationError } from './liquidation-error.js';
import { LIQUIDATION_STEPS_MAX, assetScales, houseAccountId } from './liquidation-store.js';

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
  // `stepped` is the slices, then the finals.
  for (const [index, step] of stepped.entries()) {
    const completed = index >= slices.length;
    outcomes.set(step.liquidationId, {
      liquidationId: step.liquidationId,
      accountId: step.account.id,
      status: completed ? 'completed' : 'slice',
      stepNumber: step.stepNumber,
      nextStepAtEpochMs: completed ? null : nextStepAtEpochMs,
    });
  }
  return { outcomes, failures, deferred };
}
