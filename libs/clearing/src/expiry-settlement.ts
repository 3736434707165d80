import type { Decimal } from '@novation/money';
import { futureSettlementPnl, optionSettlementAmount } from '@novation/instruments';
import type { DatedFuture, EuropeanOption, Instrument } from '@novation/instruments';
import { ClearingError } from './clearing-error.js';
import type { JournalEntryDraft } from './ledger-draft.js';
import { roundMemberAmount } from './member-rounding.js';
import {
  assertEpochMs,
  assertFlatPositionBatch,
  assertIdentifier,
  assertPositive,
  assertScale,
} from './preconditions.js';
import { requireReferencePrice } from './referenced-position.js';
import type { ReferencedPosition } from './referenced-position.js';
import { balancedPostings, finishEntry } from './settlement-entry.js';
import type { AccountAmount } from './settlement-entry.js';

export interface ExpirySettlementInput {
  readonly instrument: Instrument;
  /** The exchange's delivery (settlement index) price, in the quote asset. */
  readonly deliveryPrice: Decimal;
  /** The caller's clock: settling before expiry is refused. */
  readonly nowEpochMs: number;
  /** Every position of the instrument; they must net to zero. referencePrice may be null for options. */
  readonly positions: readonly ReferencedPosition[];
  /** Variation-margin house account: the clearinghouse's side, keeping the rounding residual. */
  readonly houseAccount: string;
  readonly settlementAssetScale: number;
}

export interface ExpirySettlementResult {
  /** Per position, credited (positive) or debited (negative) as posted. Every position is now flat. */
  readonly settlements: readonly AccountAmount[];
  readonly journalEntry: JournalEntryDraft | null;
}

/**
 * Final settlement at the delivery price; afterwards every position is flat (quantity 0, no entry price).
 * - option: the holder receives and the writer pays the intrinsic value, optionSettlementAmount of
 *   @novation/instruments (in coin for inverse options, max(S_T - K, 0) / S_T per unit). The premium
 *   changed hands at the trades, so nothing else moves;
 * - dated future: a final variation margin from each position's reference price to the delivery price.
 * Credits round down, debits round up; the residual stays with the house. Key `expiry:<instrumentId>`.
 */
export function expirySettlement(input: ExpirySettlementInput): ExpirySettlementResult {
  const instrument = assertExpirable(input.instrument);
  assertExpiryInput(input, instrument);
  const settlements = input.positions.map((position, index): AccountAmount => {
    const amount = position.quantity.isZero()
      ? position.quantity
      : settlementAmount(instrument, position, input.deliveryPrice, `positions[${index}]`);
    return { accountId: position.accountId, amount: roundMemberAmount(amount, input.settlementAssetScale) };
  });
  const header = {
    idempotencyKey: `expiry:${instrument.id}`,
    kind: 'expiry_settlement',
    description: `expiry ${instrument.id} at ${input.deliveryPrice.toFixed()}`,
  };
  const postings = balancedPostings(settlements, instrument.settlementAsset, input.houseAccount);
  return { settlements, journalEntry: finishEntry(header, postings) };
}

function settlementAmount(
  instrument: DatedFuture | EuropeanOption,
  position: ReferencedPosition,
  deliveryPrice: Decimal,
  field: string,
): Decimal {
  if (instrument.kind === 'european_option') {
    return optionSettlementAmount(instrument, position.quantity, deliveryPrice);
  }
  return futureSettlementPnl(instrument, position.quantity, requireReferencePrice(position, field), deliveryPrice);
}

function assertExpirable(instrument: Instrument): DatedFuture | EuropeanOption {
  if (instrument.kind === 'linear_future' || instrument.kind === 'inverse_future') return instrument;
  if (instrument.kind === 'european_option') return instrument;
  throw new ClearingError('UNSUPPORTED_INSTRUMENT', 'instrument', `${instrument.kind} does not expire`);
}

function assertExpiryInput(input: ExpirySettlementInput, instrument: DatedFuture | EuropeanOption): void {
  assertIdentifier(instrument.id, 'instrument.id');
  assertScale(input.settlementAssetScale, 'settlementAssetScale');
  assertPositive(input.deliveryPrice, 'deliveryPrice', 'NON_POSITIVE_PRICE');
  assertEpochMs(input.nowEpochMs, 'nowEpochMs');
  if (input.nowEpochMs < instrument.expiryEpochMs) {
    throw new ClearingError('INSTRUMENT_NOT_EXPIRED', 'nowEpochMs', `is before the expiry of ${instrument.id}`);
  }
  assertFlatPositionBatch(input.positions, input.houseAccount, 'positions');
}
