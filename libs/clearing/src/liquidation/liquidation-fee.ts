import { ZERO, roundRequirement } from '@novation/money';
import type { Decimal } from '@novation/money';
import { assertValidInstrument, realisedPnl } from '@novation/instruments';
import type { EuropeanOption, Instrument } from '@novation/instruments';
import { ClearingError } from '../clearing-error.js';
import type { JournalEntryDraft, PostingDraft } from '../ledger-draft.js';
import { roundMemberAmount } from '../member-rounding.js';
import { assertIdentifier, assertInRange, assertPositive, assertScale } from '../preconditions.js';
import { finishEntry } from '../settlement-entry.js';
import {
  assertBounded,
  assertIdempotencyKey,
  assertLiquidatable,
  assertPrice,
  compareIds,
} from './liquidation-preconditions.js';
import { optionCloseAmounts } from './option-close.js';
import { penaltyOf } from './plan-liquidation-slice.js';
import type { LiquidationClose } from './plan-liquidation-slice.js';

export interface LiquidationTransferInput {
  /** The account being liquidated. */
  readonly accountId: string;
  /** The clearinghouse's liquidation account: takes the closed contracts over at mark. */
  readonly liquidationAccountId: string;
  /** Receives the penalty. */
  readonly insuranceFundAccountId: string;
  /** Closes of one step, as planned by planLiquidationSlice. */
  readonly closes: readonly LiquidationClose[];
  /** Instrument lookup by id. */
  readonly instruments: Readonly<Record<string, Instrument>>;
  /**
   * Per instrument id of a future or perpetual, the price up to which the liquidated position's PnL has
   * been cash-settled (ClearingPosition.averageEntryPrice; the settlement price after a variation-margin
   * run). Not read for options: their premium changed hands at every trade.
   */
  readonly referencePrices: Readonly<Record<string, Decimal>>;
  /** Scale of the account's settlement asset: of every close's money when assetScales is absent. */
  readonly settlementAssetScale: number;
  /**
   * Scale per settlement asset of the closed instruments, required when they settle in more than one asset
   * (an inverse BTC option closed in a USDC account posts BTC at BTC's scale). Absent, every close is
   * posted at settlementAssetScale.
   */
  readonly assetScales?: Readonly<Record<string, number>>;
  /** E.g. `liquidation:<accountId>:<step>`; the caller makes it unique per step. */
  readonly idempotencyKey: string;
}

/** One side's position change: apply it as a fill of `quantityChange` at `price` (applyFill). */
export interface LiquidationPositionChange {
  readonly accountId: string;
  readonly instrumentId: string;
  /** Signed: the liquidated account's change is the close, the liquidation account's is its opposite. */
  readonly quantityChange: Decimal;
  readonly price: Decimal;
  /**
   * As posted for this close: PnL at mark minus the penalty for the liquidated account, 0 for the other.
   * 0 for an option close on both sides: the premium it moves is not PnL (applyFill realises none).
   */
  readonly realisedPnl: Decimal;
}

export interface LiquidationTransferResult {
  /** Null when no money moves (every close realises 0 PnL at mark or moves no premium, and no penalty). */
  readonly journalEntry: JournalEntryDraft | null;
  readonly accountChanges: readonly LiquidationPositionChange[];
  readonly liquidationAccountChanges: readonly LiquidationPositionChange[];
  /** Penalty posted to the insurance fund, per settlement asset. */
  readonly penaltyByAsset: Readonly<Record<string, Decimal>>;
}

/** Per settlement asset, what the entry posts to each of its three accounts. */
interface AssetTotals {
  account: Decimal;
  liquidationAccount: Decimal;
  insuranceFund: Decimal;
}

/** One close's contribution to its asset's totals, and the realised PnL the account's position records. */
interface CloseAmounts extends AssetTotals {
  readonly realisedPnl: Decimal;
}

/**
 * The money of one liquidation step. The account closes at the execution price (mark moved against it by
 * the penalty); the closed contracts move to the liquidation account at mark.
 * Futures and perpetuals: the account's realised PnL at the execution price is split in two, so the
 * penalty is charged exactly once and lands in the insurance fund:
 * - the PnL from the reference price to mark, against the liquidation account (the clearinghouse's side of
 *   the close, as the variation-margin house account is in novation), rounded against the member;
 * - the penalty, the PnL between the execution price and mark, to the insurance fund, rounded up.
 * The account therefore posts roundMemberAmount(PnL at mark) - roundUp(penalty) <= its exact PnL at the
 * execution price: it never gains from rounding.
 * Options (premium-settled): the account receives (closing a long) or pays (closing a short) the premium at
 * the execution price, the liquidation account pays or receives it at mark, the insurance fund takes the
 * difference (optionCloseAmounts); an inverse option's premium is in coin, its settlement asset.
 * All closes of the step go into one entry: per asset, three postings at most (account, liquidation account,
 * insurance fund), summing to zero.
 */
export function liquidationTransferEntry(input: LiquidationTransferInput): LiquidationTransferResult {
  assertTransferInput(input);
  const totals = new Map<string, AssetTotals>();
  const accountChanges: LiquidationPositionChange[] = [];
  const liquidationAccountChanges: LiquidationPositionChange[] = [];
  input.closes.forEach((close, index) => {
    const field = `closes[${index}]`;
    const instrument = instrumentOf(input, close.instrumentId, field);
    assertPrice(instrument, close.markPrice, `${field}.markPrice`);
    assertPrice(instrument, close.executionPrice, `${field}.executionPrice`);
    const scale = scaleOf(input, instrument.settlementAsset, field);
    const amounts =
      instrument.kind === 'european_option'
        ? optionAmounts(instrument, close, scale)
        : futureAmounts(input, instrument, close, scale);
    if (!amounts.insuranceFund.eq(close.penalty)) {
      throw new ClearingError(
        'OUT_OF_RANGE',
        `${field}.penalty`,
        `is not the penalty at its prices, ${amounts.insuranceFund.toFixed()}`,
      );
    }
    const assetTotals = totals.get(instrument.settlementAsset) ?? {
      account: ZERO,
      liquidationAccount: ZERO,
      insuranceFund: ZERO,
    };
    totals.set(instrument.settlementAsset, {
      account: assetTotals.account.plus(amounts.account),
      liquidationAccount: assetTotals.liquidationAccount.plus(amounts.liquidationAccount),
      insuranceFund: assetTotals.insuranceFund.plus(amounts.insuranceFund),
    });
    accountChanges.push({
      accountId: input.accountId,
      instrumentId: close.instrumentId,
      quantityChange: close.closeQuantity,
      price: close.executionPrice,
      realisedPnl: amounts.realisedPnl,
    });
    // At mark, not at the execution price: the liquidation account paid (or received) the account's PnL
    // (an option's premium) up to mark in this entry, and the concession below mark went to the insurance
    // fund. Taking the contracts over at the execution price would let it collect that concession a second
    // time when the position is next settled at mark.
    liquidationAccountChanges.push({
      accountId: input.liquidationAccountId,
      instrumentId: close.instrumentId,
      quantityChange: close.closeQuantity.negated(),
      price: close.markPrice,
      realisedPnl: ZERO,
    });
  });
  const postings: PostingDraft[] = [];
  const penaltyByAsset: Record<string, Decimal> = {};
  for (const asset of [...totals.keys()].sort(compareIds)) {
    const { account, liquidationAccount, insuranceFund } = totals.get(asset) as AssetTotals;
    penaltyByAsset[asset] = insuranceFund;
    postings.push(
      ...nonZero([
        { accountId: input.accountId, asset, amount: account },
        { accountId: input.liquidationAccountId, asset, amount: liquidationAccount },
        { accountId: input.insuranceFundAccountId, asset, amount: insuranceFund },
      ]),
    );
  }
  const header = {
    idempotencyKey: input.idempotencyKey,
    kind: 'liquidation',
    description: `liquidation of ${input.accountId}: ${input.closes.length} close(s) to ${input.liquidationAccountId}`,
  };
  return { journalEntry: finishEntry(header, postings), accountChanges, liquidationAccountChanges, penaltyByAsset };
}

/** The scale the money of a close is posted at: its instrument's settlement asset's. */
function scaleOf(input: LiquidationTransferInput, asset: string, field: string): number {
  if (input.assetScales === undefined) return input.settlementAssetScale;
  const scale = input.assetScales[asset];
  if (scale === undefined) throw new ClearingError('MISSING_FIELD', `assetScales.${asset}`, `is required by ${field}`);
  return scale;
}

/** A future or perpetual: PnL from the reference price to mark, the penalty from mark to the execution price. */
function futureAmounts(
  input: LiquidationTransferInput,
  instrument: Instrument,
  close: LiquidationClose,
  scale: number,
): CloseAmounts {
  const referencePrice = input.referencePrices[close.instrumentId];
  if (referencePrice === undefined) {
    throw new ClearingError('MISSING_REFERENCE_PRICE', `referencePrices.${close.instrumentId}`, 'is required');
  }
  assertPositive(referencePrice, `referencePrices.${close.instrumentId}`, 'NON_POSITIVE_PRICE');
  const closedContracts = close.closeQuantity.negated();
  const pnl = roundMemberAmount(realisedPnl(instrument, closedContracts, referencePrice, close.markPrice), scale);
  const penalty = roundRequirement(
    penaltyOf(instrument, closedContracts, close.executionPrice, close.markPrice),
    scale,
  );
  const account = pnl.minus(penalty);
  return { account, liquidationAccount: pnl.negated(), insuranceFund: penalty, realisedPnl: account };
}

/** An option: premiums at the execution price and at mark, no realised PnL (see optionCloseAmounts). */
function optionAmounts(option: EuropeanOption, close: LiquidationClose, scale: number): CloseAmounts {
  const amounts = optionCloseAmounts(
    option,
    close.closeQuantity.negated(),
    close.executionPrice,
    close.markPrice,
    scale,
  );
  return {
    account: amounts.account,
    liquidationAccount: amounts.liquidationAccount,
    insuranceFund: amounts.penalty,
    realisedPnl: ZERO,
  };
}

function nonZero(postings: readonly PostingDraft[]): PostingDraft[] {
  return postings.filter((posting) => !posting.amount.isZero());
}

function instrumentOf(input: LiquidationTransferInput, instrumentId: string, field: string): Instrument {
  const instrument = input.instruments[instrumentId];
  if (instrument === undefined) {
    throw new ClearingError('MISSING_FIELD', `instruments.${instrumentId}`, `is required by ${field}`);
  }
  if (instrument.id !== instrumentId) {
    throw new ClearingError('INSTRUMENT_MISMATCH', `instruments.${instrumentId}`, `is ${instrument.id}`);
  }
  assertValidInstrument(instrument);
  assertLiquidatable(instrument, `instruments.${instrumentId}`);
  return instrument;
}

function assertTransferInput(input: LiquidationTransferInput): void {
  assertIdentifier(input.accountId, 'accountId');
  assertIdentifier(input.liquidationAccountId, 'liquidationAccountId');
  assertIdentifier(input.insuranceFundAccountId, 'insuranceFundAccountId');
  assertIdempotencyKey(input.idempotencyKey, 'idempotencyKey');
  assertScale(input.settlementAssetScale, 'settlementAssetScale');
  for (const [asset, scale] of Object.entries(input.assetScales ?? {})) assertScale(scale, `assetScales.${asset}`);
  assertBounded(input.closes, 'closes');
  const ids = new Set([input.accountId, input.liquidationAccountId, input.insuranceFundAccountId]);
  if (ids.size !== 3) {
    throw new ClearingError('HOUSE_ACCOUNT_IS_MEMBER', 'accountId', 'must differ from the house accounts');
  }
  input.closes.forEach((close, index) => {
    const field = `closes[${index}]`;
    assertIdentifier(close.instrumentId, `${field}.instrumentId`);
    assertPositive(close.closeQuantity.abs(), `${field}.closeQuantity`, 'NON_POSITIVE_QUANTITY');
    // Prices are checked per instrument kind once the instrument is known (assertPrice).
    assertInRange(close.markPrice, `${field}.markPrice`);
    assertInRange(close.executionPrice, `${field}.executionPrice`);
    assertInRange(close.penalty, `${field}.penalty`);
    // Against the account: a sell (negative close) at or below mark, a buy at or above it.
    const against = close.closeQuantity.isNegative()
      ? close.executionPrice.lte(close.markPrice)
      : close.executionPrice.gte(close.markPrice);
    if (!against) {
      throw new ClearingError('OUT_OF_RANGE', `${field}.executionPrice`, 'must not favour the liquidated account');
    }
  });
}
