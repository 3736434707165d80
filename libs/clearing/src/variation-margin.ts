import { ZERO } from '@novation/money';
import type { Decimal } from '@novation/money';
import { unrealisedPnl } from '@novation/instruments';
import type { Instrument } from '@novation/instruments';
import { ClearingError } from './clearing-error.js';
import type { JournalEntryDraft } from './ledger-draft.js';
import { roundMemberAmount } from './member-rounding.js';
import { assertFlatPositionBatch, assertIdentifier, assertPositive, assertScale } from './preconditions.js';
import { requireReferencePrice } from './referenced-position.js';
import type { ReferencedPosition } from './referenced-position.js';
import { balancedPostings, finishEntry } from './settlement-entry.js';

export interface VariationMarginInput {
  /** A dated future, or a perpetual when the venue settles those daily too. */
  readonly instrument: Instrument;
  /** Today's settlement price, in the quote asset. */
  readonly settlementPrice: Decimal;
  /** The business date settled, 'YYYY-MM-DD'; part of the idempotency key. */
  readonly settlementDate: string;
  /** Every position of the instrument; they must net to zero. */
  readonly positions: readonly ReferencedPosition[];
  /** Variation-margin house account: the clearinghouse's side, keeping the rounding residual. */
  readonly houseAccount: string;
  readonly settlementAssetScale: number;
}

export interface VariationMarginSettlement {
  readonly accountId: string;
  /** Credited (positive) or debited (negative) as posted, in the settlement asset. */
  readonly variationMargin: Decimal;
  /**
   * The position's new reference price: the settlement price, or null for a flat position. The caller
   * stores it as the position's averageEntryPrice, so the next trade or settlement starts from it.
   */
  readonly referencePrice: Decimal | null;
}

export interface VariationMarginResult {
  readonly settlements: readonly VariationMarginSettlement[];
  /** Null when nothing moves (the price did not change, or every position is flat). */
  readonly journalEntry: JournalEntryDraft | null;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Daily variation margin: each position is paid (or pays) its PnL from its reference price to today's
 * settlement price, unrealisedPnl of @novation/instruments (linear in the quote asset, inverse in coin),
 * against the variation-margin house account. Credits round down, debits round up; the residual stays
 * with the house. Key `vm:<instrumentId>:<settlementDate>`.
 */
export function variationMargin(input: VariationMarginInput): VariationMarginResult {
  assertVariationMarginInput(input);
  const settlements = input.positions.map((position, index): VariationMarginSettlement => {
    if (position.quantity.isZero())
      return { accountId: position.accountId, variationMargin: ZERO, referencePrice: null };
    const referencePrice = requireReferencePrice(position, `positions[${index}]`);
    const pnl = unrealisedPnl(input.instrument, position.quantity, referencePrice, input.settlementPrice);
    return {
      accountId: position.accountId,
      variationMargin: roundMemberAmount(pnl, input.settlementAssetScale),
      referencePrice: input.settlementPrice,
    };
  });
  const memberAmounts = settlements.map(({ accountId, variationMargin: amount }) => ({ accountId, amount }));
  const header = {
    idempotencyKey: `vm:${input.instrument.id}:${input.settlementDate}`,
    kind: 'variation_margin',
    description: `variation margin ${input.instrument.id} ${input.settlementDate} at ${input.settlementPrice.toFixed()}`,
  };
  const postings = balancedPostings(memberAmounts, input.instrument.settlementAsset, input.houseAccount);
  return { settlements, journalEntry: finishEntry(header, postings) };
}

function assertVariationMarginInput(input: VariationMarginInput): void {
  const { kind } = input.instrument;
  if (kind === 'spot' || kind === 'european_option') {
    throw new ClearingError('UNSUPPORTED_INSTRUMENT', 'instrument', `${kind} is not settled by variation margin`);
  }
  assertIdentifier(input.instrument.id, 'instrument.id');
  assertSettlementDate(input.settlementDate);
  assertScale(input.settlementAssetScale, 'settlementAssetScale');
  assertPositive(input.settlementPrice, 'settlementPrice', 'NON_POSITIVE_PRICE');
  assertFlatPositionBatch(input.positions, input.houseAccount, 'positions');
}

/** A real calendar date: the regular expression alone would accept 2025-02-30. */
function assertSettlementDate(settlementDate: string): void {
  const match = ISO_DATE.exec(settlementDate);
  const isRealDate =
    match !== null &&
    new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))).toISOString().slice(0, 10) ===
      settlementDate;
  if (!isRealDate) throw new ClearingError('INVALID_DATE', 'settlementDate', 'must be a calendar date YYYY-MM-DD');
}
