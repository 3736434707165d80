import { roundPayout, roundRequirement, ZERO } from '@novation/money';
import type { Decimal } from '@novation/money';
import { optionPremiumAmount } from '@novation/instruments';
import type { Instrument } from '@novation/instruments';
import { applyFill } from './apply-fill.js';
import type { ClearingPosition, FillEffect, FillSide } from './apply-fill.js';
import { ClearingError } from './clearing-error.js';
import type { JournalEntryDraft, PostingDraft } from './ledger-draft.js';
import { roundMemberAmount } from './member-rounding.js';
import { assertIdentifier, assertInRange, assertScale } from './preconditions.js';
import { balancedPostings, finishEntry } from './settlement-entry.js';
import type { AccountAmount } from './settlement-entry.js';
import type { VenueTrade } from './trade-validation.js';

/**
 * House accounts a trade posts against.
 * - feeRevenue: collects fees and pays rebates.
 * - variationMargin: the clearinghouse's side of every PnL and premium flow. Each member's realised PnL
 *   is posted against it, and the rounding residual of every flow stays in it. Over an instrument's life
 *   (trades, variation margin, funding, expiry) it nets to zero apart from those residuals, which are
 *   never negative: an auditor can check the balance per instrument against the sum of rounding residuals.
 */
export interface NovationHouseAccounts {
  readonly feeRevenue: string;
  readonly variationMargin: string;
}

export interface NovatedSide {
  readonly accountId: string;
  /** The position after the trade; its realisedPnl grows by the rounded amount actually posted. */
  readonly position: ClearingPosition;
  /** Realised PnL of this trade as posted: rounded to the settlement asset's scale against the member. */
  readonly realisedPnl: Decimal;
  readonly effect: FillEffect;
}

export interface NovationResult {
  readonly buyer: NovatedSide;
  readonly seller: NovatedSide;
  /** Null when no money moves: an opening futures trade without fees. */
  readonly journalEntry: JournalEntryDraft | null;
}

/**
 * Novates a validated venue trade (see validateTrade): the clearinghouse becomes seller to the buyer and
 * buyer to the seller. In one journal entry, in the instrument's settlement asset:
 * - each side's realised PnL against the variation-margin house account (the two sides' PnL do not
 *   offset: they entered at different prices);
 * - each side's fee to fee revenue, a negative fee being a rebate paid out of fee revenue;
 * - for an option, the premium quantity x contractSize x price from buyer to seller.
 * Rounding never favours a member: credits round down, debits round up in magnitude; the premium and PnL
 * residuals stay in the variation-margin house account, so the entry balances. Spot trades are delivery
 * versus payment in two assets and are not novated here.
 */
export function noviateTrade(
  trade: VenueTrade,
  buyerPosition: ClearingPosition | undefined,
  sellerPosition: ClearingPosition | undefined,
  instrument: Instrument,
  houseAccounts: NovationHouseAccounts,
  settlementAssetScale: number,
): NovationResult {
  assertNovationInputs(trade, instrument, houseAccounts, settlementAssetScale);
  const fill = { quantity: trade.quantity, price: trade.price };
  const buyer = novateSide(trade.buyerAccountId, buyerPosition, 'buy', fill, instrument, settlementAssetScale);
  const seller = novateSide(trade.sellerAccountId, sellerPosition, 'sell', fill, instrument, settlementAssetScale);
  const asset = instrument.settlementAsset;
  const settlementAmounts: AccountAmount[] = [
    { accountId: buyer.accountId, amount: buyer.realisedPnl },
    { accountId: seller.accountId, amount: seller.realisedPnl },
    ...premiumAmounts(trade, instrument, settlementAssetScale),
  ];
  const postings = [
    ...balancedPostings(settlementAmounts, asset, houseAccounts.variationMargin),
    ...feePostings(trade.buyerAccountId, trade.buyerFee, asset, houseAccounts.feeRevenue, settlementAssetScale),
    ...feePostings(trade.sellerAccountId, trade.sellerFee, asset, houseAccounts.feeRevenue, settlementAssetScale),
  ];
  const header = {
    idempotencyKey: `trade:${trade.venueId}:${trade.tradeId}`,
    kind: 'trade',
    description: `trade ${trade.venueId}:${trade.tradeId} ${trade.quantity.toFixed()} ${instrument.id} @ ${trade.price.toFixed()}`,
  };
  return { buyer, seller, journalEntry: finishEntry(header, postings) };
}

function novateSide(
  accountId: string,
  position: ClearingPosition | undefined,
  side: FillSide,
  fill: { quantity: Decimal; price: Decimal },
  instrument: Instrument,
  settlementAssetScale: number,
): NovatedSide {
  const result = applyFill(position, { side, ...fill }, instrument);
  const posted = roundMemberAmount(result.realisedPnl, settlementAssetScale);
  const previousRealised = position?.realisedPnl ?? ZERO;
  return {
    accountId,
    position: { ...result.position, realisedPnl: previousRealised.plus(posted) },
    realisedPnl: posted,
    effect: result.effect,
  };
}

/** Premium of an option trade: the buyer pays it rounded up, the seller receives it rounded down. */
function premiumAmounts(trade: VenueTrade, instrument: Instrument, settlementAssetScale: number): AccountAmount[] {
  if (instrument.kind !== 'european_option') return [];
  const premium = optionPremiumAmount(instrument, trade.quantity, trade.price);
  return [
    { accountId: trade.buyerAccountId, amount: roundRequirement(premium, settlementAssetScale).negated() },
    { accountId: trade.sellerAccountId, amount: roundPayout(premium, settlementAssetScale) },
  ];
}

/** A fee debits the member and credits fee revenue; a rebate (negative fee) does the reverse. */
function feePostings(
  accountId: string,
  fee: Decimal,
  asset: string,
  feeRevenueAccountId: string,
  settlementAssetScale: number,
): PostingDraft[] {
  const memberAmount = roundMemberAmount(fee.negated(), settlementAssetScale);
  if (memberAmount.isZero()) return [];
  return [
    { accountId, asset, amount: memberAmount },
    { accountId: feeRevenueAccountId, asset, amount: memberAmount.negated() },
  ];
}

function assertNovationInputs(
  trade: VenueTrade,
  instrument: Instrument,
  houseAccounts: NovationHouseAccounts,
  settlementAssetScale: number,
): void {
  assertScale(settlementAssetScale, 'settlementAssetScale');
  assertIdentifier(trade.venueId, 'venueId');
  assertIdentifier(trade.tradeId, 'tradeId');
  assertIdentifier(trade.buyerAccountId, 'buyerAccountId');
  assertIdentifier(trade.sellerAccountId, 'sellerAccountId');
  assertIdentifier(houseAccounts.feeRevenue, 'houseAccounts.feeRevenue');
  assertIdentifier(houseAccounts.variationMargin, 'houseAccounts.variationMargin');
  assertInRange(trade.buyerFee, 'buyerFee');
  assertInRange(trade.sellerFee, 'sellerFee');
  if (instrument.kind === 'spot') {
    throw new ClearingError('UNSUPPORTED_INSTRUMENT', 'instrument', 'spot is delivery-settled, not novated');
  }
  if (trade.instrumentId !== instrument.id) {
    throw new ClearingError('INSTRUMENT_MISMATCH', 'instrumentId', `is ${trade.instrumentId}, not ${instrument.id}`);
  }
  if (trade.buyerAccountId === trade.sellerAccountId) {
    throw new ClearingError('SELF_TRADE', 'sellerAccountId', 'is the same account as buyerAccountId');
  }
  const houseIds = new Set([houseAccounts.feeRevenue, houseAccounts.variationMargin]);
  if (houseIds.has(trade.buyerAccountId) || houseIds.has(trade.sellerAccountId)) {
    throw new ClearingError('HOUSE_ACCOUNT_IS_MEMBER', 'buyerAccountId', 'or sellerAccountId is a house account');
  }
}
