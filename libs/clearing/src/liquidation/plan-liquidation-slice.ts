import { Decimal, ONE, ZERO, roundRequirement } from '@novation/money';
import { assertValidInstrument, realisedPnl } from '@novation/instruments';
import type { Instrument } from '@novation/instruments';
import { ClearingError } from '../clearing-error.js';
import { assertIdentifier, assertInRange, assertPositive, assertScale } from '../preconditions.js';
import {
  assertBounded,
  assertLiquidatable,
  assertNonNegative,
  assertPrice,
  compareIds,
} from './liquidation-preconditions.js';
import { optionCloseAmounts } from './option-close.js';

export interface LiquidationPosition {
  readonly instrumentId: string;
  readonly instrument: Instrument;
  /** Contracts, positive long, negative short; a multiple of the instrument's quantity step. */
  readonly quantity: Decimal;
  /**
   * Mark price: in the quote asset for futures and perpetuals (> 0); for an option, its premium per unit of
   * the underlying in the settlement asset (coin for an inverse option), >= 0 (a worthless option marks 0).
   */
  readonly markPrice: Decimal;
  /** The position's share of the account's initial-margin requirement, from the margin model; >= 0. */
  readonly initialMarginContribution: Decimal;
  /** Expected cost of closing one contract in the market (half-spread, slippage), settlement asset; default 0. */
  readonly closeCostPerContract?: Decimal;
}

export interface PlanLiquidationSliceInput {
  readonly accountId: string;
  readonly positions: readonly LiquidationPosition[];
  /** Largest fraction of each position closed in one step, in (0, 1], e.g. 0.25. */
  readonly maxSliceFraction: Decimal;
  /** Price concession charged to the liquidated account, in [0, 1), e.g. 0.005. */
  readonly liquidationPenaltyFraction: Decimal;
  /** Initial margin the step should free; the plan stops as soon as it is reached. */
  readonly targetRequirementReduction: Decimal;
  /** Quantity step (lot size) per instrument id. */
  readonly quantitySteps: Readonly<Record<string, Decimal>>;
  /** Scale of the account's settlement asset: of every close's penalty when settlementAssets is absent. */
  readonly settlementAssetScale: number;
  /**
   * Per settlement asset of the positions, its scale and the price of one unit in the margin asset (the
   * unit of initialMarginContribution and of the target). Required when the positions settle in more than
   * one asset (an inverse BTC option in a USDC account): each close's penalty is posted in its instrument's
   * settlement asset at that asset's scale, and costs are compared in the margin asset. Absent, every
   * position settles in the account's settlement asset (scale settlementAssetScale, price 1).
   */
  readonly settlementAssets?: Readonly<Record<string, SettlementAssetTerms>>;
}

export interface SettlementAssetTerms {
  readonly scale: number;
  /** Price of one unit of the asset in the margin asset, > 0 (1 for the margin asset itself). */
  readonly priceInMarginAsset: Decimal;
}

export interface LiquidationClose {
  readonly instrumentId: string;
  /** Signed opposite to the position: negative sells a long, positive buys back a short. */
  readonly closeQuantity: Decimal;
  readonly markPrice: Decimal;
  /** Mark moved against the account by the penalty: mark x (1 - p) when selling, mark x (1 + p) when buying. */
  readonly executionPrice: Decimal;
  /**
   * What the account loses by closing at the execution price rather than at mark, in the instrument's
   * settlement asset, at that asset's scale:
   * for futures and perpetuals realisedPnl(closed contracts, from executionPrice to markPrice) rounded up to
   * the scale; for an option the account's premium at mark less its premium at the execution price, each
   * rounded as a member's (optionCloseAmounts). It is the price concession itself, charged once (see
   * liquidationTransferEntry), not a fee on top of it, and what the insurance fund receives for the close.
   */
  readonly penalty: Decimal;
  /** Initial margin freed: initialMarginContribution x |closeQuantity| / |quantity| (exact). */
  readonly requirementReduction: Decimal;
}

export interface LiquidationSlicePlan {
  readonly accountId: string;
  /** In the order they should execute: best requirement freed per unit of cost first. */
  readonly closes: readonly LiquidationClose[];
  readonly requirementReduction: Decimal;
  /** False when every position was sliced to its cap and the target is still not reached. */
  readonly targetReached: boolean;
}

interface Candidate {
  readonly position: LiquidationPosition;
  readonly step: Decimal;
  readonly maxClose: Decimal;
  readonly executionPrice: Decimal;
  readonly requirementPerContract: Decimal;
  readonly costPerContract: Decimal;
}

/**
 * One step of a partial liquidation. Rule:
 * 1. For every open position with a positive requirement contribution: the requirement freed per contract
 *    r = initialMarginContribution / |quantity|; the cost per contract c = penalty per contract (what one
 *    contract loses at the execution price versus mark) + closeCostPerContract, both in the instrument's
 *    settlement asset and valued in the margin asset at its priceInMarginAsset (1 without settlementAssets).
 * 2. Positions are taken in decreasing r / c (compared as r_a x c_b against r_b x c_a, so a zero cost ranks
 *    first and nothing is divided by zero); equal ratios in ascending instrument id (ordinal).
 * 3. Each position closes at most cap = floor(maxSliceFraction x |quantity| / step) x step, but at least one
 *    step (so a position smaller than 1/maxSliceFraction steps still moves); never more than the position, so
 *    a position never flips. Within the cap it closes only what the remaining target needs, rounded UP to the
 *    step, and the plan stops once the freed requirement reaches the target.
 * Positions contributing no requirement are not closed: closing them costs the penalty and frees nothing.
 * Options close like futures (a long sold below mark, a short bought back above it); only their money
 * differs (a premium, see optionCloseAmounts). A zero-mark option costs nothing to close and ranks first.
 */
export function planLiquidationSlice(input: PlanLiquidationSliceInput): LiquidationSlicePlan {
  assertSliceInput(input);
  const candidates = input.positions
    .map((position, index) => candidateOf(input, position, index))
    .filter((candidate): candidate is Candidate => candidate !== null)
    .sort(byRatioThenId);
  const closes: LiquidationClose[] = [];
  let reduced = ZERO;
  for (const candidate of candidates) {
    const remaining = input.targetRequirementReduction.minus(reduced);
    if (!remaining.isPositive() || remaining.isZero()) break;
    const close = closeOf(candidate, remaining, input);
    closes.push(close);
    reduced = reduced.plus(close.requirementReduction);
  }
  return {
    accountId: input.accountId,
    closes,
    requirementReduction: reduced,
    targetReached: reduced.gte(input.targetRequirementReduction),
  };
}

function candidateOf(input: PlanLiquidationSliceInput, position: LiquidationPosition, index: number): Candidate | null {
  const field = `positions[${index}]`;
  const step = input.quantitySteps[position.instrumentId];
  if (step === undefined) {
    throw new ClearingError('MISSING_FIELD', `quantitySteps.${position.instrumentId}`, 'is required');
  }
  assertPositive(step, `quantitySteps.${position.instrumentId}`, 'NON_POSITIVE_STEP');
  if (!position.quantity.mod(step).isZero()) {
    throw new ClearingError('QUANTITY_STEP', `${field}.quantity`, `is not a multiple of ${step.toFixed()}`);
  }
  if (position.quantity.isZero() || position.initialMarginContribution.isZero()) return null;
  const magnitude = position.quantity.abs();
  const sliced = magnitude.times(input.maxSliceFraction).dividedToIntegerBy(step).times(step);
  const maxClose = Decimal.max(sliced, step);
  const executionPrice = executionPriceOf(position, input.liquidationPenaltyFraction);
  const onePositionContract = position.quantity.isNegative() ? ONE.negated() : ONE;
  const penaltyPerContract = penaltyOf(position.instrument, onePositionContract, executionPrice, position.markPrice);
  const { priceInMarginAsset } = termsOf(input, position.instrument.settlementAsset, `${field}.instrument`);
  return {
    position,
    step,
    maxClose,
    executionPrice,
    requirementPerContract: position.initialMarginContribution.dividedBy(magnitude),
    costPerContract: penaltyPerContract.plus(position.closeCostPerContract ?? ZERO).times(priceInMarginAsset),
  };
}

/** The scale and margin-asset price of a settlement asset (the account's own, at price 1, by default). */
function termsOf(input: PlanLiquidationSliceInput, asset: string, field: string): SettlementAssetTerms {
  if (input.settlementAssets === undefined) return { scale: input.settlementAssetScale, priceInMarginAsset: ONE };
  const terms = input.settlementAssets[asset];
  if (terms === undefined)
    throw new ClearingError('MISSING_FIELD', `settlementAssets.${asset}`, `is required by ${field}`);
  return terms;
}

/** Selling (closing a long) below mark, buying (closing a short) above mark. */
function executionPriceOf(position: LiquidationPosition, penaltyFraction: Decimal): Decimal {
  const factor = position.quantity.isNegative() ? ONE.plus(penaltyFraction) : ONE.minus(penaltyFraction);
  return position.markPrice.times(factor);
}

/**
 * PnL forgone by closing `closedContracts` (signed as the position) at the execution price instead of
 * mark, exact: the PnL of contracts bought (sold) at the execution price and valued at mark. For an option,
 * the premium forgone, closedContracts x contractSize x (mark - execution price), which holds at a zero
 * mark too (realisedPnl needs positive prices). Always >= 0.
 */
export function penaltyOf(
  instrument: Instrument,
  closedContracts: Decimal,
  executionPrice: Decimal,
  markPrice: Decimal,
): Decimal {
  const forgone =
    instrument.kind === 'european_option'
      ? closedContracts.times(instrument.contractSize).times(markPrice.minus(executionPrice))
      : realisedPnl(instrument, closedContracts, executionPrice, markPrice);
  // A zero penalty fraction gives -0 for a short: normalise it so it never reads as negative.
  return forgone.isZero() ? ZERO : forgone;
}

/** The penalty of a close as posted to the insurance fund, at the settlement asset's scale. */
function postedPenaltyOf(
  instrument: Instrument,
  closedContracts: Decimal,
  executionPrice: Decimal,
  markPrice: Decimal,
  scale: number,
): Decimal {
  if (instrument.kind === 'european_option') {
    return optionCloseAmounts(instrument, closedContracts, executionPrice, markPrice, scale).penalty;
  }
  return roundRequirement(penaltyOf(instrument, closedContracts, executionPrice, markPrice), scale);
}

function closeOf(candidate: Candidate, remaining: Decimal, input: PlanLiquidationSliceInput): LiquidationClose {
  const { position, step, maxClose } = candidate;
  const needed = remaining.dividedBy(candidate.requirementPerContract).dividedBy(step).ceil().times(step);
  const magnitude = Decimal.min(maxClose, Decimal.max(needed, step));
  const closedContracts = position.quantity.isNegative() ? magnitude.negated() : magnitude;
  return {
    instrumentId: position.instrumentId,
    closeQuantity: closedContracts.negated(),
    markPrice: position.markPrice,
    executionPrice: candidate.executionPrice,
    penalty: postedPenaltyOf(
      position.instrument,
      closedContracts,
      candidate.executionPrice,
      position.markPrice,
      termsOf(input, position.instrument.settlementAsset, 'closes').scale,
    ),
    requirementReduction: position.initialMarginContribution.times(magnitude).dividedBy(position.quantity.abs()),
  };
}

function byRatioThenId(left: Candidate, right: Candidate): number {
  const leftScore = left.requirementPerContract.times(right.costPerContract);
  const rightScore = right.requirementPerContract.times(left.costPerContract);
  const comparison = rightScore.comparedTo(leftScore);
  return comparison !== 0 ? comparison : compareIds(left.position.instrumentId, right.position.instrumentId);
}

function assertSliceInput(input: PlanLiquidationSliceInput): void {
  assertIdentifier(input.accountId, 'accountId');
  assertScale(input.settlementAssetScale, 'settlementAssetScale');
  assertBounded(input.positions, 'positions');
  assertPositive(input.maxSliceFraction, 'maxSliceFraction', 'OUT_OF_RANGE');
  if (input.maxSliceFraction.gt(ONE)) throw new ClearingError('OUT_OF_RANGE', 'maxSliceFraction', 'must be <= 1');
  assertNonNegative(input.liquidationPenaltyFraction, 'liquidationPenaltyFraction');
  if (input.liquidationPenaltyFraction.gte(ONE)) {
    throw new ClearingError('OUT_OF_RANGE', 'liquidationPenaltyFraction', 'must be < 1');
  }
  assertInRange(input.targetRequirementReduction, 'targetRequirementReduction');
  for (const [asset, terms] of Object.entries(input.settlementAssets ?? {})) {
    assertScale(terms.scale, `settlementAssets.${asset}.scale`);
    assertPositive(terms.priceInMarginAsset, `settlementAssets.${asset}.priceInMarginAsset`, 'NON_POSITIVE_PRICE');
  }
  const seen = new Set<string>();
  input.positions.forEach((position, index) => {
    const field = `positions[${index}]`;
    assertIdentifier(position.instrumentId, `${field}.instrumentId`);
    if (seen.has(position.instrumentId)) {
      throw new ClearingError('INVALID_POSITION', `${field}.instrumentId`, 'appears twice');
    }
    seen.add(position.instrumentId);
    if (position.instrument.id !== position.instrumentId) {
      throw new ClearingError('INSTRUMENT_MISMATCH', `${field}.instrumentId`, `is not ${position.instrument.id}`);
    }
    assertValidInstrument(position.instrument);
    assertLiquidatable(position.instrument, `${field}.instrument`);
    assertInRange(position.quantity, `${field}.quantity`);
    assertPrice(position.instrument, position.markPrice, `${field}.markPrice`);
    assertNonNegative(position.initialMarginContribution, `${field}.initialMarginContribution`);
    if (position.closeCostPerContract !== undefined) {
      assertNonNegative(position.closeCostPerContract, `${field}.closeCostPerContract`);
    }
  });
}
