import {
  liquidationTransferEntry,
  planLiquidationSlice,
  type LiquidationClose,
  type LiquidationPosition,
  type LiquidationPositionChange,
} from '@novation/clearing';
import type { Instrument } from '@novation/instruments';
import { Decimal, ONE, ZERO } from '@novation/money';
import { computeMarginReceipt, type MarginResult } from '@novation/risk';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { PositionEntity } from '../entities/clearing.entity.js';
import { MarginCallEntity } from '../entities/margin.entity.js';
import type { AccountEntity, AccountMarginState } from '../entities/membership.entity.js';
import { InstrumentEntity } from '../entities/reference-data.entity.js';
import { recordAccountEvent } from '../events/account-events.js';
import { recordMarginCallResolvedEvent, recordMarginStateEvents } from '../events/margin-events.js';
import { toDomainInstrument } from '../instrument-mapping.js';
import { postJournalEntry, type JournalEntryDraft } from '../ledger.js';
import { compareAndSwapMarginState, storeReceipt } from '../margin/margin-account.js';
import { buildMarginRequest } from '../margin/margin-request-builder.js';
import { assertEpochMs } from '../margin/margin-service-error.js';
import {
  activeParameterSet,
  type ActiveParameterSet,
  type LiquidationParameters,
} from '../margin/parameter-set-body.js';
import { inTransactionWithRetry, isUuid, lockAccounts } from '../margin/transaction.js';
import {
  accountBalances,
  conversionJson,
  convertCollateral,
  type CollateralConversionOutcome,
  type PlannedCollateralConversion,
} from './convert-collateral.js';
import { coverLiquidationDeficit, type DeficitCoverOutcome } from './cover-liquidation-deficit.js';
import { LiquidationError } from './liquidation-error.js';
import {
  applyLiquidationFill,
  assetScales,
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
   * 'slice': positions were closed (or collateral converted) and another step follows at nextStepAtEpochMs;
   * 'completed': this call ran the final step; 'waiting': the cool-down is not over, nothing was written;
   * 'finished': the liquidation had already ended, nothing was written (a redelivered job lands here).
   */
  readonly status: 'slice' | 'completed' | 'waiting' | 'finished';
  readonly stepNumber: number | null;
  /** When the next step may run; null once the liquidation has ended. */
  readonly nextStepAtEpochMs: number | null;
}

export interface LiquidationStepOptions {
  /**
   * Oldest index price, in ms before now, a collateral conversion may use; by default the parameter set's
   * liquidation.conversionPriceAgeMsMax (5 minutes unless a risk officer set another).
   */
  readonly conversionPriceAgeMsMax?: number;
}

/** Refuses a bad clock or options before any SQL; returns the conversion price age override, if any. */
export function assertStepOptions(nowEpochMs: number, options: LiquidationStepOptions): number | undefined {
  assertEpochMs(nowEpochMs);
  const override = options.conversionPriceAgeMsMax;
  if (override !== undefined && (!Number.isSafeInteger(override) || override < 0)) {
    throw new LiquidationError('INVALID_OPTIONS', `conversionPriceAgeMsMax ${String(override)}`);
  }
  return override;
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
  readonly conversionPriceAgeMsMax: number;
}

/** An open position a slice may close, with what planning and the fill need of it. */
export interface BookPosition {
  readonly instrument: Instrument;
  readonly quantityStep: Decimal;
  readonly quantity: Decimal;
  /** Futures: the reference price of the close's PnL. Options: the average premium, not read by the close. */
  readonly averageEntryPrice: Decimal;
}

/**
 * Runs the next step of a liquidation at `nowEpochMs`, in one transaction (idempotency key
 * `liq-<liquidation id>-step-<n>`, one journal entry per step):
 * - the liquidation row is locked, then the account; an ended liquidation, or one still cooling down
 *   (next_step_at after now), returns without writing anything, so a redelivered job is a no-op;
 * - the account is re-margined (receipt stored). While it is not healthy (or it owes its settlement asset
 *   with nothing else to convert) and holds futures, perpetuals or options, whatever asset they settle in,
 *   one slice is closed (planLiquidationSlice: a bounded fraction of each position, best requirement freed
 *   per unit of cost in the margin asset first) to the clearinghouse's liquidation account at mark moved by
 *   the penalty, the penalty to the insurance fund (liquidationTransferEntry: PnL for futures, the premium
 *   for options, each in its instrument's settlement asset), and the next step is due after the cool-down;
 * - otherwise, when any balance of the account is negative, its collateral is converted (convertCollateral:
 *   every balance in another asset into the settlement asset, the liquidation account the counterparty at
 *   the index price moved by the penalty). A conversion that leaves the settlement balance negative while
 *   positions remain is a step of its own, and the next one closes positions;
 * - otherwise the final step: a negative settlement balance left with no open position is covered
 *   (insurance fund, then auto-deleveraging or the default waterfall per the parameter set), the open margin
 *   call is marked 'liquidated', the liquidation 'completed', and the account state follows a fresh margin
 *   run (healthy, or margin_call with a new call). It stays 'liquidating', for an operator, while a balance
 *   is still negative: a deficit nothing covered, or collateral that could not be converted for want of a
 *   fresh price (never converted at a guess).
 */
export async function executeLiquidationStep(
  dataSource: DataSource,
  liquidationId: string,
  nowEpochMs: number,
  options: LiquidationStepOptions = {},
): Promise<LiquidationStepOutcome> {
  const override = assertStepOptions(nowEpochMs, options);
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
    const parameterSet = await activeParameterSet(manager, nowEpochMs);
    const context: StepContext = {
      manager,
      liquidation,
      account,
      parameterSet,
      stepNumber,
      idempotencyKey: liquidationStepKey(liquidationId, stepNumber),
      nowEpochMs,
      conversionPriceAgeMsMax: override ?? parameterSet.body.liquidation.conversionPriceAgeMsMax,
    };
    const { receipt, receiptId } = await marginRun(context, account.id);
    const book = await loadLiquidatableBook(manager, account);
    // One read of the balances serves the whole step until something posts.
    const { settlement: settlementBalance, others } = await accountBalances(manager, account);
    // Owed in the settlement asset with no other collateral left to convert: only closing positions (their
    // PnL or premium) can pay it, even if the margin model counts the account healthy.
    const debt = others.size === 0 && settlementBalance.isNegative() ? settlementBalance.negated() : ZERO;
    if (book.length > 0 && (receipt.result.status !== 'healthy' || !debt.isZero())) {
      const nextStepAtEpochMs = await executeSlice(context, receipt.result, receiptId, book, debt);
      return { ...base, status: 'slice', stepNumber, nextStepAtEpochMs };
    }
    const owing = settlementBalance.isNegative() || [...others.values()].some((amount) => amount.isNegative());
    const conversion = owing ? await convertCollateral(manager, conversionRequest(context, others)) : null;
    if (conversion?.status === 'converted' && book.length > 0) {
      if ((await balanceOf(manager, account.id, account.settlementAsset)).isNegative()) {
        const record = conversionStepRecord(receipt.result, conversion);
        const nextStepAtEpochMs = await recordSliceStep(context, receiptId, conversion.journalEntryId, record);
        return { ...base, status: 'slice', stepNumber, nextStepAtEpochMs };
      }
    }
    // A conversion posted: the settlement balance is read again; otherwise nothing has posted since the read.
    const untouched = conversion?.status === 'converted' ? null : { settlementBalance, receiptId, receipt };
    await executeFinalStep(context, conversion, untouched);
    return { ...base, status: 'completed', stepNumber, nextStepAtEpochMs: null };
  });
}

/** A margin run of `accountId` in the step's transaction, its receipt stored. */
async function marginRun(context: StepContext, accountId: string) {
  const receipt = computeMarginReceipt(
    await buildMarginRequest(context.manager, accountId, context.nowEpochMs, { parameterSet: context.parameterSet }),
  );
  return { receipt, receiptId: await storeReceipt(context.manager, accountId, receipt) };
}

function conversionRequest(context: StepContext, otherBalances: ReadonlyMap<string, Decimal>) {
  return {
    otherBalances,
    account: context.account,
    parameterSet: context.parameterSet,
    idempotencyKey: context.idempotencyKey,
    nowEpochMs: context.nowEpochMs,
    priceAgeMsMax: context.conversionPriceAgeMsMax,
  };
}

/**
 * The account's open futures, perpetuals and options, whatever asset they settle in: what a slice may
 * close. Options close at their premium mark like any position: left open, a short option's margin (or a
 * long's premium, which backs nothing else) would keep the account below MM and 'liquidating' for good.
 * A position settled in another asset than the account's (an inverse BTC option in a USDC account) is
 * closed too, its money moving in that asset; the collateral conversion of the last steps turns what it
 * leaves into the settlement asset. Spot is delivery-settled in two assets and is not liquidated.
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
  return liquidatableBook(positions, new Map(instruments.map((row) => [row.id, row])));
}

/**
 * The book of one account from its open positions (instrument id order) and their instruments: spot, and a
 * position without an entry price, are left out.
 */
export function liquidatableBook(
  positions: readonly Pick<PositionEntity, 'instrumentId' | 'quantity' | 'averageEntryPrice'>[],
  instruments: ReadonlyMap<string, InstrumentEntity>,
): BookPosition[] {
  const book: BookPosition[] = [];
  for (const position of positions) {
    const row = instruments.get(position.instrumentId);
    if (row === undefined || row.kind === 'spot' || position.averageEntryPrice === null) continue;
    book.push({
      instrument: toDomainInstrument(row),
      quantityStep: row.quantityStep,
      quantity: position.quantity,
      averageEntryPrice: position.averageEntryPrice,
    });
  }
  return book;
}

/** The smallest contribution the notional fallback gives: a worthless option still closes (for nothing). */
const CONTRIBUTION_FLOOR = new Decimal('1e-18');

/**
 * The price of one unit of each settlement asset of the book in the margin asset, as the margin run
 * converted that asset's group (1 for the margin asset itself).
 */
function pricesInMarginAsset(book: readonly BookPosition[], result: MarginResult): Map<string, Decimal> {
  const prices = new Map<string, Decimal>([[result.marginAsset, ONE]]);
  for (const group of result.groups) prices.set(group.settlementAsset, new Decimal(group.priceInMarginAsset));
  for (const { instrument } of book) {
    if (!prices.has(instrument.settlementAsset)) {
      throw new LiquidationError(
        'MISSING_POSITION',
        `no ${instrument.settlementAsset} group in the margin result for ${instrument.id}`,
      );
    }
  }
  return prices;
}

/** |notional| in the settlement asset: quantity x mark x size, or for an inverse future quantity x size / mark. */
function notionalInSettlementAsset(instrument: Instrument, quantity: Decimal, mark: Decimal): Decimal {
  const size = quantity.times(instrument.contractSize).abs();
  const inverse = instrument.kind === 'inverse_perpetual' || instrument.kind === 'inverse_future';
  if (inverse) return mark.isZero() ? ZERO : size.dividedBy(mark);
  return size.times(mark);
}

/**
 * Each position's share of the requirement in the margin asset, from the margin result: its own initial
 * margin (in its settlement asset) when the model gives one (under the standard model a short option's
 * Deribit-style margin, a long option's premium value), valued at its group's price in the margin asset;
 * when no position carries any (a portfolio model, or zero rates with negative equity), its absolute
 * notional valued the same way (an option's premium value, its mark being the premium), at least
 * CONTRIBUTION_FLOOR, so the largest closes first and the book always empties.
 */
function requirementContributions(
  book: readonly BookPosition[],
  result: MarginResult,
  prices: ReadonlyMap<string, Decimal>,
): Map<string, Decimal> {
  const byId = new Map(result.positions.map((position) => [position.instrumentId, position]));
  const priceOf = (instrument: Instrument): Decimal => prices.get(instrument.settlementAsset) as Decimal;
  const own = new Map<string, Decimal>();
  for (const { instrument } of book) {
    const margin = byId.get(instrument.id)?.initialMargin;
    own.set(
      instrument.id,
      margin === null || margin === undefined ? ZERO : new Decimal(margin).times(priceOf(instrument)),
    );
  }
  if ([...own.values()].some((value) => value.isPositive() && !value.isZero())) return own;
  return new Map(
    book.map(({ instrument, quantity }) => {
      const mark = new Decimal(byId.get(instrument.id)?.markPrice ?? '0');
      const notional = notionalInSettlementAsset(instrument, quantity, mark).times(priceOf(instrument));
      return [instrument.id, Decimal.max(notional, CONTRIBUTION_FLOOR)];
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

/** One position change of a slice, with who took part (stored as the step's fill). */
export interface SliceFill {
  readonly change: LiquidationPositionChange;
  readonly role: 'liquidated' | 'liquidation_account';
  readonly instrument: Instrument;
}

/** What one slice writes, planned without touching the database (shared by the one-by-one and batched paths). */
export interface SliceStepPlan {
  /** The step's one journal entry (key: the step's), null when no money moves. */
  readonly journalEntry: JournalEntryDraft | null;
  /** The liquidated account's changes first, then the liquidation account's, in the entry's order. */
  readonly fills: readonly SliceFill[];
  /** The step row's details. */
  readonly details: Readonly<Record<string, unknown>>;
  /** The liquidation-step account event's payload, beside the liquidation id, step number and receipt id. */
  readonly event: Readonly<Record<string, unknown>>;
}

export interface SliceStepInput {
  readonly account: Pick<AccountEntity, 'id' | 'settlementAsset'>;
  readonly liquidationId: string;
  readonly parameters: LiquidationParameters;
  readonly result: MarginResult;
  readonly book: readonly BookPosition[];
  /** > 0 only when the account owes its settlement asset with nothing else to convert. */
  readonly debt: Decimal;
  /** The scale of the account's settlement asset and of every settlement asset of the book. */
  readonly scales: ReadonlyMap<string, number>;
  readonly liquidationAccountId: string;
  readonly insuranceFundAccountId: string;
  readonly idempotencyKey: string;
}

/**
 * Plans one slice. `debt` (> 0 only when the account owes its settlement asset with nothing else to
 * convert) floors the requirement the slice aims to free: a healthy account in debt still closes positions,
 * a bounded fraction at a time, until their money pays the debt or none is left.
 */
export function planSliceStep(input: SliceStepInput): SliceStepPlan {
  const { account, book, result, scales } = input;
  const parameters = input.parameters;
  const prices = pricesInMarginAsset(book, result);
  const assets = [...new Set([account.settlementAsset, ...book.map((p) => p.instrument.settlementAsset)])].sort();
  const scaleOf = (asset: string): number => {
    const scale = scales.get(asset);
    if (scale === undefined) throw new LiquidationError('MISSING_POSITION', `no scale for asset ${asset}`);
    return scale;
  };
  const scale = scaleOf(account.settlementAsset);
  const contributions = requirementContributions(book, result, prices);
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
    targetRequirementReduction: Decimal.max(shortfall, input.debt, new Decimal(10).pow(-scale)),
    quantitySteps: Object.fromEntries(book.map((p) => [p.instrument.id, p.quantityStep])),
    settlementAssetScale: scale,
    settlementAssets: Object.fromEntries(
      assets.map((asset) => [asset, { scale: scaleOf(asset), priceInMarginAsset: prices.get(asset) ?? ONE }]),
    ),
  });
  // Every book position has a positive contribution (notional fallback) and the target is positive, so a
  // slice always closes something: an empty plan would repeat no-op steps forever.
  if (plan.closes.length === 0) {
    throw new LiquidationError('NOTHING_TO_CLOSE', `liquidation ${input.liquidationId} planned an empty slice`);
  }
  const transfer = liquidationTransferEntry({
    accountId: account.id,
    liquidationAccountId: input.liquidationAccountId,
    insuranceFundAccountId: input.insuranceFundAccountId,
    closes: plan.closes,
    instruments: Object.fromEntries(book.map((p) => [p.instrument.id, p.instrument])),
    referencePrices: Object.fromEntries(book.map((p) => [p.instrument.id, p.averageEntryPrice])),
    settlementAssetScale: scale,
    assetScales: Object.fromEntries(assets.map((asset) => [asset, scaleOf(asset)])),
    idempotencyKey: input.idempotencyKey,
  });
  const instruments = new Map(book.map((p) => [p.instrument.id, p.instrument]));
  const fillOf = (change: LiquidationPositionChange, role: SliceFill['role']): SliceFill => ({
    change,
    role,
    instrument: instruments.get(change.instrumentId) as Instrument,
  });
  const details = {
    equity: result.equity,
    initialMargin: result.initialMargin,
    maintenanceMargin: result.maintenanceMargin,
    requirementReduction: plan.requirementReduction.toFixed(),
    penaltyByAsset: amountsJson(transfer.penaltyByAsset),
    closes: plan.closes.map((close) => closeJson(close, instruments)),
  };
  return {
    journalEntry: transfer.journalEntry,
    fills: [
      ...transfer.accountChanges.map((change) => fillOf(change, 'liquidated')),
      ...transfer.liquidationAccountChanges.map((change) => fillOf(change, 'liquidation_account')),
    ],
    details,
    event: {
      penalty: transfer.penaltyByAsset[account.settlementAsset]?.toFixed() ?? '0',
      penaltyByAsset: details.penaltyByAsset,
      closes: details.closes,
    },
  };
}

/** The stored fill of a slice's position change. */
export function sliceFillRecord({ change, role }: SliceFill): LiquidationFillRecord {
  return {
    accountId: change.accountId,
    instrumentId: change.instrumentId,
    role,
    quantity: change.quantityChange,
    price: change.price,
  };
}

/** Closes one slice (planSliceStep), one position at a time, in the step's transaction. */
async function executeSlice(
  context: StepContext,
  result: MarginResult,
  receiptId: string,
  book: readonly BookPosition[],
  debt: Decimal,
): Promise<number> {
  const { manager, account, liquidation, nowEpochMs } = context;
  const assets = [account.settlementAsset, ...book.map((p) => p.instrument.settlementAsset)];
  const plan = planSliceStep({
    account,
    liquidationId: liquidation.id,
    parameters: context.parameterSet.body.liquidation,
    result,
    book,
    debt,
    scales: await assetScales(manager, assets),
    liquidationAccountId: await houseAccountId(manager, 'liquidation'),
    insuranceFundAccountId: await houseAccountId(manager, 'insurance_fund'),
    idempotencyKey: context.idempotencyKey,
  });
  const posted = plan.journalEntry === null ? null : await postJournalEntry(manager, plan.journalEntry);
  for (const { change, instrument } of plan.fills) {
    const locked = await lockPosition(manager, change.accountId, change.instrumentId);
    await applyLiquidationFill(
      manager,
      locked,
      instrument,
      { quantity: change.quantityChange, price: change.price, postedPnl: change.realisedPnl },
      nowEpochMs,
    );
  }
  return recordSliceStep(context, receiptId, posted?.journalEntryId ?? null, plan);
}

/**
 * Stores a step that is not the last (a slice, or a conversion alone) and its fills; the liquidation then
 * waits for its next step (after the cool-down) and the owner's subscriptions hear of this one. Returns when
 * the next step is due.
 */
async function recordSliceStep(
  context: StepContext,
  receiptId: string,
  journalEntryId: string | null,
  plan: Pick<SliceStepPlan, 'details' | 'event' | 'fills'>,
): Promise<number> {
  const { manager, account, liquidation, nowEpochMs } = context;
  const nextStepAtEpochMs = nowEpochMs + context.parameterSet.body.liquidation.coolDownMs;
  await insertLiquidationStep(
    manager,
    {
      liquidationId: liquidation.id,
      stepNumber: context.stepNumber,
      kind: 'slice',
      idempotencyKey: context.idempotencyKey,
      receiptId,
      journalEntryId,
      details: plan.details,
      nowEpochMs,
    },
    plan.fills.map(sliceFillRecord),
  );
  await manager.query(`UPDATE liquidation SET status = 'in_progress', next_step_at = $2 WHERE id = $1`, [
    liquidation.id,
    new Date(nextStepAtEpochMs),
  ]);
  await recordAccountEvent(manager, {
    accountId: account.id,
    kind: 'liquidation-step',
    dedupeKey: `liquidation-step-${liquidation.id}-${context.stepNumber}`,
    payload: { liquidationId: liquidation.id, stepNumber: context.stepNumber, receiptId, ...plan.event },
  });
  return nextStepAtEpochMs;
}

function amountsJson(amounts: Readonly<Record<string, Decimal>>): Record<string, string> {
  return Object.fromEntries(Object.entries(amounts).map(([asset, amount]) => [asset, amount.toFixed()]));
}

/** A close as stored and shown: its money (and penalty) is in the instrument's settlement asset. */
function closeJson(close: LiquidationClose, instruments: ReadonlyMap<string, Instrument>) {
  return {
    instrumentId: close.instrumentId,
    settlementAsset: instruments.get(close.instrumentId)?.settlementAsset ?? null,
    closeQuantity: close.closeQuantity.toFixed(),
    markPrice: close.markPrice.toFixed(),
    executionPrice: close.executionPrice.toFixed(),
    penalty: close.penalty.toFixed(),
    requirementReduction: close.requirementReduction.toFixed(),
  };
}

/** What a conversion did (or why it did nothing), for the step details and the account events. */
export function conversionDetails(conversion: CollateralConversionOutcome | PlannedCollateralConversion | null) {
  if (conversion === null || conversion.status === 'nothing') return null;
  if (conversion.status === 'refused') return { status: 'refused', refusals: conversion.refusals };
  return {
    status: 'converted',
    conversions: conversion.conversions.map(conversionJson),
    penalty: conversion.penalty.toFixed(),
    indexes: conversion.indexes,
  };
}

/**
 * The details and event of a step that only converted collateral: positions remain and the settlement
 * balance is still negative, so the liquidation goes on (the next step closes positions to pay it).
 */
export function conversionStepRecord(
  result: MarginResult,
  conversion: Extract<CollateralConversionOutcome | PlannedCollateralConversion, { status: 'converted' }>,
): Pick<SliceStepPlan, 'details' | 'event' | 'fills'> {
  const converted = conversionDetails(conversion);
  return {
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
 * The final step: the collateral conversion's outcome (made by the caller, its entry under this step's
 * key), deficit cover, margin call and liquidation closed, account state from a fresh margin run.
 * `untouched` is, when nothing has posted since the step's margin run, the account's settlement balance
 * and that run's stored receipt; else null.
 */
async function executeFinalStep(
  context: StepContext,
  conversion: CollateralConversionOutcome | null,
  untouched: {
    readonly settlementBalance: Decimal;
    readonly receiptId: string;
    readonly receipt: ReturnType<typeof computeMarginReceipt>;
  } | null,
): Promise<void> {
  const settlementBalance = untouched?.settlementBalance ?? null;
  const { manager, account, liquidation, nowEpochMs } = context;
  const asset = account.settlementAsset;
  const openPositions: { count: number }[] = await manager.query(
    `SELECT count(*)::int AS count FROM position WHERE account_id = $1 AND quantity <> 0`,
    [account.id],
  );
  const balance = settlementBalance ?? (await balanceOf(manager, account.id, asset));
  // Collateral that could not be converted may still be worth the debt: nothing is covered while it is held.
  const flat = (openPositions[0]?.count ?? 0) === 0 && conversion?.status !== 'refused';
  const deficit = flat && balance.isNegative() ? balance.negated() : ZERO;
  let cover: DeficitCoverOutcome | null = null;
  if (!deficit.isZero()) {
    cover = await coverLiquidationDeficit(manager, {
      liquidationId: liquidation.id,
      account,
      asset,
      scale: (await assetScales(manager, [asset])).get(asset) as number,
      deficit,
      mode: context.parameterSet.body.liquidation.deficitMode,
      idempotencyKey: `${context.idempotencyKey}-deficit`,
      parameterSet: context.parameterSet,
      nowEpochMs,
    });
  }
  // A fresh margin run after the deficit is covered decides where the account goes. When nothing posted
  // since the step's own run (no conversion, no cover), that run's receipt is the same one: it is reused.
  const fresh = untouched !== null && cover === null ? untouched : await marginRun(context, account.id);
  const { receipt, receiptId } = fresh;
  const newState = (await holdsNegativeBalance(manager, account.id))
    ? 'liquidating'
    : stateAfterLiquidation(receipt.result);
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
      journalEntryId: conversion?.status === 'converted' ? conversion.journalEntryId : null,
      details: {
        deficit: deficit.toFixed(),
        uncovered: uncovered.toFixed(),
        newState,
        marginCallId,
        conversion: conversionDetails(conversion),
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
      conversion: conversionDetails(conversion),
    },
  });
}

/**
 * Whether any balance of the account is below zero. The auditor accepts a negative balance only on an
 * account in 'liquidating', so an account still owing something (a deficit nothing covered, collateral
 * left unconverted for want of a price) stays there for an operator whatever its margin says.
 */
async function holdsNegativeBalance(manager: EntityManager, accountId: string): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `SELECT 1 FROM account_balance WHERE account_id = $1 AND balance < 0 LIMIT 1`,
    [accountId],
  );
  return rows.length > 0;
}

/**
 * Healthy -> healthy; below IM -> margin_call (a new call, the old one was liquidated); below MM after the
 * final step can only be a deficit nothing covered (no position is left to close): it stays 'liquidating'
 * for an operator, and the auditor still accepts its negative balance.
 */
export function stateAfterLiquidation(result: MarginResult): AccountMarginState {
  switch (result.status) {
    case 'healthy':
      return 'healthy';
    case 'below_initial_margin':
      return 'margin_call';
    case 'below_maintenance_margin':
      return 'liquidating';
  }
}
