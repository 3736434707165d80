import { variationMargin } from '@novation/clearing';
import type { VariationMarginSettlement } from '@novation/clearing';
import { Decimal } from '@novation/money';
import type { DataSource } from 'typeorm';
import { toDomainInstrument } from '../instrument-mapping.js';
import { SettlementError } from './settlement-error.js';
import {
  assertInstrumentId,
  clearing,
  findAppliedRun,
  isCalendarDate,
  lockInstrument,
  lockPositions,
  parseAmount,
  postRunEntry,
  recordRun,
  settlementContext,
  updatePosition,
} from './settlement-run.js';

export interface VariationMarginRunInput {
  readonly instrumentId: string;
  /** Today's settlement price, a plain decimal string > 0. */
  readonly settlementPrice: string;
  /** Business date settled, 'YYYY-MM-DD'; part of the idempotency key. */
  readonly settlementDate: string;
}

export interface VariationMarginRunResult {
  /** False when this date had already been settled: nothing changed, the original result is returned. */
  readonly applied: boolean;
  readonly idempotencyKey: string;
  readonly instrumentId: string;
  readonly settlementDate: string;
  readonly settlementPrice: Decimal;
  readonly asset: string;
  /** Per open position: the amount posted and the new reference price (now its averageEntryPrice). */
  readonly settlements: readonly VariationMarginSettlement[];
  /** Null when no money moved (the price did not change, or no open position). */
  readonly journalEntryId: string | null;
}

interface VariationMarginRequest {
  readonly settlementPrice: string;
}

interface StoredVariationMargin {
  readonly asset: string;
  readonly settlements: readonly { accountId: string; variationMargin: string; referencePrice: string | null }[];
}

/**
 * Daily variation margin of a dated future or a perpetual: pays each open position its PnL from its
 * reference price (averageEntryPrice) to the settlement price, against the 'variation_margin' house
 * account, then sets every open position's averageEntryPrice to the settlement price (compare-and-swap on
 * version). One transaction, idempotent on `vm:<instrumentId>:<settlementDate>`; a rerun with another
 * price is refused (IDEMPOTENCY_CONFLICT). realisedPnl is not changed (it counts trades only; cash is in
 * the ledger).
 */
export async function runVariationMargin(
  dataSource: DataSource,
  input: VariationMarginRunInput,
): Promise<VariationMarginRunResult> {
  assertInstrumentId(input.instrumentId);
  if (!isCalendarDate(input.settlementDate)) {
    throw new SettlementError('INVALID_DATE', 'settlementDate', 'must be a calendar date YYYY-MM-DD');
  }
  const settlementPrice = parseAmount(input.settlementPrice, 'settlementPrice', true);
  const request: VariationMarginRequest = { settlementPrice: settlementPrice.toFixed() };

  return dataSource.transaction(async (manager) => {
    const instrument = await lockInstrument(manager, input.instrumentId);
    if (instrument.kind !== 'future' && instrument.kind !== 'perpetual') {
      throw new SettlementError('WRONG_INSTRUMENT_KIND', 'instrumentId', `${instrument.kind} has no variation margin`);
    }
    const key = `vm:${instrument.id}:${input.settlementDate}`;
    const applied = await findAppliedRun<VariationMarginRequest, StoredVariationMargin>(manager, key, request);
    if (applied !== null) {
      return fromStored(
        key,
        instrument.id,
        input.settlementDate,
        settlementPrice,
        applied.result,
        applied.journalEntryId,
      );
    }
    if (instrument.status === 'expired') {
      throw new SettlementError('ALREADY_EXPIRED', 'instrumentId', 'has expired: settle it with settleExpiry');
    }
    if (instrument.status !== 'active') {
      throw new SettlementError('INSTRUMENT_NOT_ACTIVE', 'instrumentId', `is ${instrument.status}`);
    }
    const context = await settlementContext(manager, instrument);
    const positions = (await lockPositions(manager, instrument.id)).filter((position) => !position.quantity.isZero());
    const computed = clearing(() =>
      variationMargin({
        instrument: toDomainInstrument(instrument),
        settlementPrice,
        settlementDate: input.settlementDate,
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
    for (const [index, position] of positions.entries()) {
      const settlement = computed.settlements[index];
      if (
        settlement === undefined ||
        settlement.accountId !== position.accountId ||
        settlement.referencePrice === null
      ) {
        throw new SettlementError('CONCURRENT_MODIFICATION', 'positions', 'settlements do not match the positions');
      }
      await updatePosition(manager, position, { averageEntryPrice: settlement.referencePrice });
    }
    const stored: StoredVariationMargin = {
      asset: context.asset,
      settlements: computed.settlements.map((settlement) => ({
        accountId: settlement.accountId,
        variationMargin: settlement.variationMargin.toFixed(),
        referencePrice: settlement.referencePrice?.toFixed() ?? null,
      })),
    };
    await recordRun(manager, 'settlement.variation_margin', key, { request, result: stored, journalEntryId });
    const result = fromStored(key, instrument.id, input.settlementDate, settlementPrice, stored, journalEntryId);
    return { ...result, applied: true };
  });
}

function fromStored(
  idempotencyKey: string,
  instrumentId: string,
  settlementDate: string,
  settlementPrice: Decimal,
  stored: StoredVariationMargin,
  journalEntryId: string | null,
): VariationMarginRunResult {
  return {
    applied: false,
    idempotencyKey,
    instrumentId,
    settlementDate,
    settlementPrice,
    asset: stored.asset,
    settlements: stored.settlements.map((settlement) => ({
      accountId: settlement.accountId,
      variationMargin: new Decimal(settlement.variationMargin),
      referencePrice: settlement.referencePrice === null ? null : new Decimal(settlement.referencePrice),
    })),
    journalEntryId,
  };
}
