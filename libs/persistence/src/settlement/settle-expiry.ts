import { expirySettlement } from '@novation/clearing';
import type { AccountAmount } from '@novation/clearing';
import { Decimal, ZERO } from '@novation/money';
import type { DataSource } from 'typeorm';
import { InstrumentEntity } from '../entities/reference-data.entity.js';
import { toDomainInstrument } from '../instrument-mapping.js';
import { SettlementError } from './settlement-error.js';
import {
  assertEpochMs,
  assertInstrumentId,
  clearing,
  findAppliedRun,
  lockInstrument,
  lockPositions,
  parseAmount,
  postRunEntry,
  recordRun,
  settlementContext,
  updatePosition,
} from './settlement-run.js';

export interface ExpiryRunInput {
  readonly instrumentId: string;
  /** The delivery (settlement index) price, a plain decimal string > 0. */
  readonly deliveryPrice: string;
  /** The caller's clock: settling before instrument.expiresAt is refused (NOT_EXPIRED). */
  readonly nowEpochMs: number;
}

export interface ExpiryRunResult {
  /** False when the instrument had already been settled: nothing changed, the original result is returned. */
  readonly applied: boolean;
  readonly idempotencyKey: string;
  readonly instrumentId: string;
  readonly deliveryPrice: Decimal;
  readonly asset: string;
  /** Per position open before expiry, credited (positive) or debited (negative) as posted. */
  readonly settlements: readonly AccountAmount[];
  readonly journalEntryId: string | null;
}

interface ExpiryRequest {
  readonly deliveryPrice: string;
}

interface StoredExpiry {
  readonly asset: string;
  readonly settlements: readonly { accountId: string; amount: string }[];
}

/**
 * Final settlement of a dated future or an option at/after expiry, in one transaction: pays each open
 * position (options: intrinsic value, in coin for inverse options; futures: final variation margin from
 * the reference price) against the 'variation_margin' house account, sets every position of the
 * instrument to quantity 0 with no entry price (compare-and-swap on version), and marks the instrument
 * 'expired'. Idempotent on `expiry:<instrumentId>`: a rerun returns the original result with applied =
 * false; a rerun with another delivery price is refused (IDEMPOTENCY_CONFLICT).
 */
export async function settleExpiry(dataSource: DataSource, input: ExpiryRunInput): Promise<ExpiryRunResult> {
  assertInstrumentId(input.instrumentId);
  assertEpochMs(input.nowEpochMs, 'nowEpochMs');
  const deliveryPrice = parseAmount(input.deliveryPrice, 'deliveryPrice', true);
  const request: ExpiryRequest = { deliveryPrice: deliveryPrice.toFixed() };

  return dataSource.transaction(async (manager) => {
    const instrument = await lockInstrument(manager, input.instrumentId);
    if (instrument.kind !== 'future' && instrument.kind !== 'option') {
      throw new SettlementError('WRONG_INSTRUMENT_KIND', 'instrumentId', `${instrument.kind} does not expire`);
    }
    const key = `expiry:${instrument.id}`;
    const applied = await findAppliedRun<ExpiryRequest, StoredExpiry>(manager, key, request);
    if (applied !== null) return fromStored(key, instrument.id, deliveryPrice, applied.result, applied.journalEntryId);
    if (instrument.status === 'expired') throw new SettlementError('ALREADY_EXPIRED', 'instrumentId', 'has expired');
    if (instrument.status !== 'active') {
      throw new SettlementError('INSTRUMENT_NOT_ACTIVE', 'instrumentId', `is ${instrument.status}`);
    }
    if (instrument.expiresAt === null || input.nowEpochMs < instrument.expiresAt.getTime()) {
      throw new SettlementError('NOT_EXPIRED', 'nowEpochMs', `is before ${instrument.expiresAt?.toISOString()}`);
    }
    const context = await settlementContext(manager, instrument);
    const positions = (await lockPositions(manager, instrument.id)).filter((position) => !position.quantity.isZero());
    const computed = clearing(() =>
      expirySettlement({
        instrument: toDomainInstrument(instrument),
        deliveryPrice,
        nowEpochMs: input.nowEpochMs,
        positions: positions.map(({ accountId, quantity, averageEntryPrice }) => ({
          accountId,
          quantity,
          referencePrice: averageEntryPrice,
        })),
        houseAccount: context.houseAccountId,
        settlementAssetScale: context.scale,
      }),
    );
    const journalEntryId = await postRunEntry(manager, computed.journalEntry);
    for (const position of positions) {
      await updatePosition(manager, position, { quantity: ZERO, averageEntryPrice: null });
    }
    await manager.update(InstrumentEntity, { id: instrument.id }, { status: 'expired' });
    const stored: StoredExpiry = {
      asset: context.asset,
      settlements: computed.settlements.map(({ accountId, amount }) => ({ accountId, amount: amount.toFixed() })),
    };
    await recordRun(manager, 'settlement.expiry', key, { request, result: stored, journalEntryId });
    return { ...fromStored(key, instrument.id, deliveryPrice, stored, journalEntryId), applied: true };
  });
}

function fromStored(
  idempotencyKey: string,
  instrumentId: string,
  deliveryPrice: Decimal,
  stored: StoredExpiry,
  journalEntryId: string | null,
): ExpiryRunResult {
  return {
    applied: false,
    idempotencyKey,
    instrumentId,
    deliveryPrice,
    asset: stored.asset,
    settlements: stored.settlements.map(({ accountId, amount }) => ({ accountId, amount: new Decimal(amount) })),
    journalEntryId,
  };
}
