import { Decimal } from '@novation/money';
import { positionValue } from '@novation/instruments';
import type { Instrument, InversePerpetual, LinearPerpetual } from '@novation/instruments';
import { ClearingError } from './clearing-error.js';
import type { JournalEntryDraft } from './ledger-draft.js';
import { roundMemberAmount } from './member-rounding.js';
import {
  assertFlatPositionBatch,
  assertIdentifier,
  assertInRange,
  assertPositive,
  assertScale,
} from './preconditions.js';
import type { MemberQuantity } from './preconditions.js';
import { balancedPostings, finishEntry } from './settlement-entry.js';
import type { AccountAmount } from './settlement-entry.js';

/** Largest funding rate per interval accepted: ten times any venue's cap, so a larger one is a feed error. */
export const FUNDING_RATE_MAGNITUDE_MAX = new Decimal('0.1');

export interface FundingInput {
  readonly instrument: Instrument;
  /** Mark price at the funding time, in the quote asset. */
  readonly markPrice: Decimal;
  /** Rate per funding interval, e.g. 0.0001 (1 basis point); positive means longs pay shorts. */
  readonly fundingRate: Decimal;
  /** Every open position of the instrument; they must net to zero. */
  readonly positions: readonly MemberQuantity[];
  /** Identifies the funding interval, e.g. '2025-03-28T08'; part of the idempotency key. */
  readonly fundingId: string;
  /** House account that keeps the rounding residual. */
  readonly houseAccount: string;
  readonly settlementAssetScale: number;
}

export interface FundingResult {
  /** Per position, the amount credited (positive) or debited (negative) as posted, in the settlement asset. */
  readonly payments: readonly AccountAmount[];
  /** Null when nothing moves (a zero rate, or every payment rounded to zero). */
  readonly journalEntry: JournalEntryDraft | null;
}

/**
 * Perpetual funding for one interval. A position pays value x rate, where value is positionValue of
 * @novation/instruments: quantity x contractSize x markPrice in the quote asset for linear perpetuals,
 * quantity x contractSize / markPrice in coin for inverse ones. With a positive rate longs pay and shorts
 * receive; with a negative rate the reverse. Payers round up, receivers round down; the residual (>= 0)
 * goes to the house account. Key `funding:<instrumentId>:<fundingId>`.
 */
export function fundingPayments(input: FundingInput): FundingResult {
  const instrument = assertPerpetual(input.instrument);
  assertFundingInput(input);
  const payments = input.positions.map((position) => {
    const paid = positionValue(instrument, position.quantity, input.markPrice).times(input.fundingRate);
    return { accountId: position.accountId, amount: roundMemberAmount(paid.negated(), input.settlementAssetScale) };
  });
  const header = {
    idempotencyKey: `funding:${instrument.id}:${input.fundingId}`,
    kind: 'funding',
    description: `funding ${instrument.id} ${input.fundingId} rate ${input.fundingRate.toFixed()} mark ${input.markPrice.toFixed()}`,
  };
  const postings = balancedPostings(payments, instrument.settlementAsset, input.houseAccount);
  return { payments, journalEntry: finishEntry(header, postings) };
}

function assertPerpetual(instrument: Instrument): LinearPerpetual | InversePerpetual {
  if (instrument.kind !== 'linear_perpetual' && instrument.kind !== 'inverse_perpetual') {
    throw new ClearingError('UNSUPPORTED_INSTRUMENT', 'instrument', `${instrument.kind} pays no funding`);
  }
  return instrument;
}

function assertFundingInput(input: FundingInput): void {
  assertIdentifier(input.instrument.id, 'instrument.id');
  assertIdentifier(input.fundingId, 'fundingId');
  assertScale(input.settlementAssetScale, 'settlementAssetScale');
  assertPositive(input.markPrice, 'markPrice', 'NON_POSITIVE_PRICE');
  assertInRange(input.fundingRate, 'fundingRate');
  if (input.fundingRate.abs().gt(FUNDING_RATE_MAGNITUDE_MAX)) {
    throw new ClearingError('INVALID_FUNDING_RATE', 'fundingRate', `exceeds ${FUNDING_RATE_MAGNITUDE_MAX.toFixed()}`);
  }
  assertFlatPositionBatch(input.positions, input.houseAccount, 'positions');
}
