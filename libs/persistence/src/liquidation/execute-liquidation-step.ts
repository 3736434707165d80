import {
  liquidationTransferEntry,
  planLiquidationSlice,
  type LiquidationClose,
  type LiquidationPosition,
} from '@novation/clearing';
import type { Instrument } from '@novation/instruments';
import { Decimal, ZERO } from '@novation/money';
import { computeMarginReceipt, type MarginResult } from '@novation/risk';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { PositionEntity } from '../entities/clearing.entity.js';
import { MarginCallEntity } from '../entities/margin.entity.js';
import type { AccountEntity, AccountMarginState } from '../entities/membership.entity.js';
import { AssetEntity, InstrumentEntity } from '../entities/reference-data.entity.js';
import { recordAccountEvent } from '../events/account-events.js';
import { recordMarginCallResolvedEvent, recordMarginStateEvents } from '../events/margin-events.js';
import { toDomainInstrument } from '../instrument-mapping.js';
import { postJournalEntry } from '../ledger.js';
import { compareAndSwapMarginState, storeReceipt } from '../margin/margin-account.js';
import { buildMarginRequest } from '../margin/margin-request-builder.js';
import { assertEpochMs } from '../margin/margin-service-error.js';
import { activeParameterSet, type ActiveParameterSet } from '../margin/parameter-set-body.js';
import { inTransactionWithRetry, isUuid, lockAccounts } from '../margin/transaction.js';
import { coverLiquidationDeficit, type DeficitCoverOutcome } from './cover-liquidation-deficit.js';
import { LiquidationError } from './liquidation-error.js';
import {
  applyLiquidationFill,
  balanceOf,
  houseAccountId,
  insertLiquidationStep,
  lockLiquidation,
  lockPosition,
  nextStepNumber,
  type LiquidationFillRecord,
  type LockedLiquidation,
} from './liquidation-store.js';

export interface LiquidationStepOutcome {
  readonly liquidationId: string;
  readonly accountId: string;
  /**
   * 'slice': positions were closed and another step follows at nextStepAtEpochMs; 'completed': this call
   * ran the final step; 'waiting': the cool-down is not over, nothing was written; 'finished': the
   * liquidation had already ended, nothing was written (a redelivered job lands here).
   */
  readonly status: 'slice' | 'completed' | 'waiting' | 'finished';
  readonly stepNumber: number | null;
  /** When the next step may run; null once the liquidation has ended. */
  readonly nextStepAtEpochMs: number | null;
}

/** The ledger idempotency key of step `stepNumber` (also the step row's key). */
export const liquidationStepKey = (liquidationId: string, stepNumber: number): string =>
  `liq-${liquidationId}-step-${stepNumber}`;

interface StepContext {
  readonly manager: EntityManager;
  readonly liquidation: LockedLiquidation;
  readonly account: AccountEntity;
  readonly parameterSet: ActiveParameterSet;
  readonly stepNumber: number;
  readonly idempotencyKey: string;
  readonly nowEpochMs: number;
}

interface BookPosition {
  readonly instrument: Instrument;
  readonly quantityStep: Decimal;
  readonly quantity: Decimal;
  /** Futures: the reference price of the close's PnL. Options: the average premium, not read by the close. */
  readonly averageEntryPrice: Decimal;
}

/**
 * Runs the next step of a liquidation at `nowEpochMs`, in one transaction (idempotency key
 * `liq-<liquidation id>-step-<n>`):
 * - the liquidation row is locked, then the account; an ended liquidation, or one still cooling down
 *   (next_step_at after now), returns without writing anything, so a redelivered job is a no-op;
 * - the account is re-margined (receipt stored). While it is not healthy and holds futures, perpetuals or
 *   options in its settlement asset, one slice is closed (planLiquidationSlice: a bounded fraction of each
 *   position, best requirement freed per unit of cost first) to the clearinghouse's liquidation account at
 *   mark moved by the penalty, the penalty to the insurance fund (liquidationTransferEntry: PnL for futures,
 *   the premium for options), and the next step is due after the cool-down;
 * - otherwise the final step: a negative settlement balance left with no open position is covered
 *   (insurance fund, then auto-deleveraging or the default waterfall per the parameter set), the open margin
 *   call is marked 'liquidated', the liquidation 'completed', and the account state follows a fresh margin
 *   run (healthy, or margin_call with a new call; it stays 'liquidating' only with a deficit nothing covered).
 */
export async function executeLiquidationStep(
  dataSource: DataSource,
  liquidationId: string,
  nowEpochMs: number,
): Promise<LiquidationStepOutcome> {
  assertEpochMs(nowEpochMs);
  if (!isUuid(liquidationId)) {
    throw new LiquidationError('UNKNOWN_LIQUIDATION', `no liquidation ${String(liquidationId)}`);
  }
  return inTransactionWithRetry(dataSource, async (manager) => {
    const liquidation = await lockLiquidation(manager, liquidationId);
    const base = { liquidationId, accountId: liquidation.accountId };
    if (liquidation.status === 'completed' || liquidation.status === 'failed') {
      return { ...base, status: 'finished', stepNumber: null, nextStepAtEpochMs: null };
    }
    if (liquidation.nextStepAt !== null && liquidation.nextStepAt.getTime() > nowEpochMs) {
      return { ...base, status: 'waiting', stepNumber: null, nextStepAtEpochMs: liquidation.nextStepAt.getTime() };
    }
    const account = (await lockAccounts(manager, [liquidation.accountId])).get(liquidation.accountId);
    if (account === undefined) throw new LiquidationError('UNKNOWN_LIQUIDATION', `no account ${base.accountId}`);
    const stepNumber = await nextStepNumber(manager, liquidationId);
    const context: StepContext = {
      manager,
      liquidation,
      account,
      parameterSet: await activeParameterSet(manager, nowEpochMs),
      stepNumber,
      idempotencyKey: liquidationStepKey(liquidationId, stepNumber),
      nowEpochMs,
    };
    const receipt = computeMarginReceipt(
      await buildMarginRequest(manager, account.id, nowEpochMs, { parameterSet: context.parameterSet }),
    );
    const receiptId = await storeReceipt(manager, account.id, receipt);
    const book = await loadLiquidatableBook(manager, account);
    if (receipt.result.status !== 'healthy' && book.length > 0) {
      const nextStepAtEpochMs = await executeSlice(context, receipt.result, receiptId, book);
      return { ...base, status: 'slice', stepNumber, nextStepAtEpochMs };
    }
    await executeFinalStep(context);
    return { ...base, status: 'completed', stepNumber, nextStepAtEpochMs: null };
  });
}

/**
 * The account's open futures, perpetuals and options settled in its own settlement asset: what a slice may
 * close. Options close at their premium mark like any position: left open, a short option's margin (or a
 * long's premium, which backs nothing else) would keep the account below MM and 'liquidating' for good.
 * Spot is delivery-settled in two assets and is not liquidated. Positions settled in another asset are left
 * open: closing them moves money in that asset, which the final step's deficit cover (settlement asset
 * only) does not see, and which the account cannot use against a negative settlement balance without a
 * collateral conversion the liquidation does not make.
 */
async function loadLiquidatableBook(manager: EntityManager, account: AccountEntity): Promise<BookPosition[]> {
  const positions = await manager
    .createQueryBuilder(PositionEntity, 'position')
    .where('position.account_id = :accountId', { accountId: account.id })
    .andWhere('position.quantity <> 0')
    .orderBy('position.instrument_id', 'ASC')
    .getMany();
  if (positions.length === 0) return [];
  const instruments = await manager.findBy(InstrumentEntity, { id: In(positions.map((p) => p.instrumentId)) });
  const byId = new Map(instruments.map((row) => [row.id, row]));
  const book: BookPosition[] = [];
  for (const position of positions) {
    const row = byId.get(position.instrumentId);
    if (row === undefined || row.kind === 'spot') continue;
    if (row.settlementAsset !== account.settlementAsset || position.averageEntryPrice === null) continue;
    book.push({
      instrument: toDomainInstrument(row),
      quantityStep: row.quantityStep,
      quantity: position.quantity,
      averageEntryPrice: position.averageEntryPrice,
    });
  }
  return book;
}

async function assetScale(manager: EntityManager, asset: string): Promise<number> {
  return (await manager.findOneByOrFail(AssetEntity, { code: asset })).scale;
}

/**
 * Each position's share of the requirement, from the margin result: its own initial margin when the
 * model gives one (under the standard model a short option's Deribit-style margin, a long option's premium
 * value); when no position carries any (a portfolio model, or zero rates with negative equity), its
 * absolute equity-free notional |quantity x mark x contract size| (an option's premium value, its mark
 * being the premium) so the largest closes first and the book always empties.
 */
function requirementContributions(book: readonly BookPosition[], result: MarginResult): Map<string, Decimal> {
  const byId = new Map(result.positions.map((position) => [position.instrumentId, position]));
  const own = new Map<string, Decimal>();
  for (const { instrument } of book) {
    const margin = byId.get(instrument.id)?.initialMargin;
    own.set(instrument.id, margin === null || margin === undefined ? ZERO : new Decimal(margin));
  }
  if ([...own.values()].some((value) => value.isPositive() && !value.isZero())) return own;
  return new Map(
    book.map(({ instrument, quantity }) => {
      const mark = new Decimal(byId.get(instrument.id)?.markPrice ?? '0');
      return [instrument.id, quantity.times(mark).times(instrument.contractSize).abs()];
    }),
  );
}

/**
 * The mark the margin run valued the position at: the request's mark_price row, which for an option is its
 * premium per unit of the underlying in the settlement asset (the risk engine prices the option's equity
 * and standard margin from it, not from the underlying). Every book position is in the result (both read
 * the account's open positions in one transaction); a missing one is refused rather than closed at 0,
 * which for an option would give it away.
 */
function markPriceOf(result: MarginResult, instrumentId: string): Decimal {
  const position = result.positions.find((candidate) => candidate.instrumentId === instrumentId);
  if (position === undefined) {
    throw new LiquidationError('MISSING_POSITION', `position in ${instrumentId} is not in the margin result`);
  }
  return new Decimal(position.markPrice);
}

async function executeSlice(
  context: StepContext,
  result: MarginResult,
  receiptId: string,
  book: readonly BookPosition[],
): Promise<number> {
  const { manager, account, liquidation, nowEpochMs } = context;
  const parameters = context.parameterSet.body.liquidation;
  const scale = await assetScale(manager, account.settlementAsset);
  const contributions = requirementContributions(book, result);
  const positions: LiquidationPosition[] = book.map(({ instrument, quantity }) => ({
    instrumentId: instrument.id,
    instrument,
    quantity,
    markPrice: markPriceOf(result, instrument.id),
    initialMarginContribution: contributions.get(instrument.id) ?? ZERO,
  }));
  const shortfall = new Decimal(result.initialMargin).minus(result.equityForInitialMargin);
  const plan = planLiquidationSlice({
    accountId: account.id,
    positions,
    maxSliceFraction: new Decimal(parameters.maxSliceFraction),
    liquidationPenaltyFraction: new Decimal(parameters.penaltyFraction),
    // Not healthy means equity below IM; the floor keeps a rounding-level gap from planning nothing.
    targetRequirementReduction: Decimal.max(shortfall, new Decimal(10).pow(-scale)),
    quantitySteps: Object.fromEntries(book.map((p) => [p.instrument.id, p.quantityStep])),
    settlementAssetScale: scale,
  });
  // Every book position has a positive contribution (notional fallback) and the target is positive, so a
  // slice always closes something: an empty plan would repeat no-op steps forever.
  if (plan.closes.length === 0) {
    throw new LiquidationError('NOTHING_TO_CLOSE', `liquidation ${liquidation.id} planned an empty slice`);
  }
  const liquidationAccountId = await houseAccountId(manager, 'liquidation');
  const transfer = liquidationTransferEntry({
    accountId: account.id,
    liquidationAccountId,
    insuranceFundAccountId: await houseAccountId(manager, 'insurance_fund'),
    closes: plan.closes,
    instruments: Object.fromEntries(book.map((p) => [p.instrument.id, p.instrument])),
    referencePrices: Object.fromEntries(book.map((p) => [p.instrument.id, p.averageEntryPrice])),
    settlementAssetScale: scale,
    idempotencyKey: context.idempotencyKey,
  });
  const posted = transfer.journalEntry === null ? null : await postJournalEntry(manager, transfer.journalEntry);
  const instruments = new Map(book.map((p) => [p.instrument.id, p.instrument]));
  const fills: LiquidationFillRecord[] = [];
  const changes = [
    ...transfer.accountChanges.map((change) => ({ change, role: 'liquidated' as const })),
    ...transfer.liquidationAccountChanges.map((change) => ({ change, role: 'liquidation_account' as const })),
  ];
  for (const { change, role } of changes) {
    const instrument = instruments.get(change.instrumentId) as Instrument;
    const locked = await lockPosition(manager, change.accountId, change.instrumentId);
    await applyLiquidationFill(
      manager,
      locked,
      instrument,
      { quantity: change.quantityChange, price: change.price, postedPnl: change.realisedPnl },
      nowEpochMs,
    );
    fills.push({
      accountId: change.accountId,
      instrumentId: change.instrumentId,
      role,
      quantity: change.quantityChange,
      price: change.price,
    });
  }
  const nextStepAtEpochMs = nowEpochMs + context.parameterSet.body.liquidation.coolDownMs;
  const details = {
    equity: result.equity,
    initialMargin: result.initialMargin,
    maintenanceMargin: result.maintenanceMargin,
    requirementReduction: plan.requirementReduction.toFixed(),
    penaltyByAsset: Object.fromEntries(Object.entries(transfer.penaltyByAsset).map(([a, v]) => [a, v.toFixed()])),
    closes: plan.closes.map(closeJson),
  };
  await insertLiquidationStep(
    manager,
    {
      liquidationId: liquidation.id,
      stepNumber: context.stepNumber,
      kind: 'slice',
      idempotencyKey: context.idempotencyKey,
      receiptId,
      journalEntryId: posted?.journalEntryId ?? null,
      details,
      nowEpochMs,
    },
    fills,
  );
  await manager.query(`UPDATE liquidation SET status = 'in_progress', next_step_at = $2 WHERE id = $1`, [
    liquidation.id,
    new Date(nextStepAtEpochMs),
  ]);
  await recordAccountEvent(manager, {
    accountId: account.id,
    kind: 'liquidation-step',
    dedupeKey: `liquidation-step-${liquidation.id}-${context.stepNumber}`,
    payload: {
      liquidationId: liquidation.id,
      stepNumber: context.stepNumber,
      receiptId,
      penalty: transfer.penaltyByAsset[account.settlementAsset]?.toFixed() ?? '0',
      closes: plan.closes.map(closeJson),
    },
  });
  return nextStepAtEpochMs;
}

function closeJson(close: LiquidationClose) {
  return {
    instrumentId: close.instrumentId,
    closeQuantity: close.closeQuantity.toFixed(),
    markPrice: close.markPrice.toFixed(),
    executionPrice: close.executionPrice.toFixed(),
    penalty: close.penalty.toFixed(),
    requirementReduction: close.requirementReduction.toFixed(),
  };
}

/** The final step: deficit cover, margin call and liquidation closed, account state from a fresh margin run. */
async function executeFinalStep(context: StepContext): Promise<void> {
  const { manager, account, liquidation, nowEpochMs } = context;
  const asset = account.settlementAsset;
  const openPositions: { count: number }[] = await manager.query(
    `SELECT count(*)::int AS count FROM position WHERE account_id = $1 AND quantity <> 0`,
    [account.id],
  );
  const balance = await balanceOf(manager, account.id, asset);
  const deficit = (openPositions[0]?.count ?? 0) === 0 && balance.isNegative() ? balance.negated() : ZERO;
  let cover: DeficitCoverOutcome | null = null;
  if (!deficit.isZero()) {
    cover = await coverLiquidationDeficit(manager, {
      liquidationId: liquidation.id,
      account,
      asset,
      scale: await assetScale(manager, asset),
      deficit,
      mode: context.parameterSet.body.liquidation.deficitMode,
      idempotencyKey: `${context.idempotencyKey}-deficit`,
      parameterSet: context.parameterSet,
      nowEpochMs,
    });
  }
  // A fresh margin run after the deficit is covered decides where the account goes.
  const receipt = computeMarginReceipt(
    await buildMarginRequest(manager, account.id, nowEpochMs, { parameterSet: context.parameterSet }),
  );
  const receiptId = await storeReceipt(manager, account.id, receipt);
  const newState = stateAfterLiquidation(receipt.result);
  const liquidatedCalls = (await manager.query(
    `UPDATE margin_call SET status = 'liquidated', resolved_at = $2 WHERE account_id = $1 AND status = 'open'
     RETURNING id, account_id, status, resolved_at`,
    [account.id, new Date(nowEpochMs)],
  )) as [{ id: string; account_id: string; status: 'liquidated'; resolved_at: Date }[], number];
  // Subscribers see every call the liquidation closed, like a call met or opened by a margin run.
  for (const call of liquidatedCalls[0]) {
    await recordMarginCallResolvedEvent(manager, {
      id: call.id,
      accountId: call.account_id,
      status: call.status,
      resolvedAt: call.resolved_at,
    });
  }
  let marginCallId: string | null = null;
  if (newState === 'margin_call') {
    const inserted = await manager.insert(MarginCallEntity, {
      accountId: account.id,
      receiptId,
      shortfall: new Decimal(receipt.result.initialMargin).minus(receipt.result.equityForInitialMargin),
      asset: receipt.result.marginAsset,
      deadlineAt: new Date(nowEpochMs + context.parameterSet.body.marginCall.deadlineMs),
      status: 'open',
      resolvedAt: null,
    });
    marginCallId = String(inserted.identifiers[0]?.['id']);
  }
  if (newState !== account.marginState) await compareAndSwapMarginState(manager, account, newState);
  // liquidating -> healthy or margin_call, and the call it opened: the same events as a margin run's.
  await recordMarginStateEvents(manager, {
    accountId: account.id,
    receiptId,
    result: receipt.result,
    previousState: account.marginState,
    newState,
    marginCallId: marginCallId ?? undefined,
  });
  const uncovered = cover?.uncovered ?? ZERO;
  await manager.query(
    `UPDATE liquidation SET status = 'completed', deficit = $2, completed_at = $3, next_step_at = NULL WHERE id = $1`,
    [liquidation.id, deficit.toFixed(), new Date(nowEpochMs)],
  );
  await insertLiquidationStep(
    manager,
    {
      liquidationId: liquidation.id,
      stepNumber: context.stepNumber,
      kind: 'final',
      idempotencyKey: context.idempotencyKey,
      receiptId,
      journalEntryId: null,
      details: {
        deficit: deficit.toFixed(),
        uncovered: uncovered.toFixed(),
        newState,
        marginCallId,
        cover: cover?.details ?? null,
      },
      nowEpochMs,
    },
    cover?.fills ?? [],
  );
  await recordAccountEvent(manager, {
    accountId: account.id,
    kind: 'liquidation-completed',
    dedupeKey: `liquidation-completed-${liquidation.id}`,
    payload: {
      liquidationId: liquidation.id,
      steps: context.stepNumber,
      deficit: deficit.toFixed(),
      uncovered: uncovered.toFixed(),
      marginState: newState,
    },
  });
}

/**
 * Healthy -> healthy; below IM -> margin_call (a new call, the old one was liquidated); below MM after the
 * final step can only be a deficit nothing covered (no position is left to close): it stays 'liquidating'
 * for an operator, and the auditor still accepts its negative balance.
 */
function stateAfterLiquidation(result: MarginResult): AccountMarginState {
  switch (result.status) {
    case 'healthy':
      return 'healthy';
    case 'below_initial_margin':
      return 'margin_call';
    case 'below_maintenance_margin':
      return 'liquidating';
  }
}
