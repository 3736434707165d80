import { fundingPayments } from '@novation/clearing';
import type { AccountAmount } from '@novation/clearing';
import { Decimal } from '@novation/money';
import type { DataSource } from 'typeorm';
import { toDomainInstrument } from '../instrument-mapping.js';
import { latestMarketData } from '../market-data/publish-marks.js';
import { SettlementError } from './settlement-error.js';
import {
  assertEpochMs,
  assertInstrumentId,
  assertRunIdentifier,
  clearing,
  findAppliedRun,
  lockInstrument,
  lockPositions,
  parseAmount,
  postRunEntry,
  recordRun,
  settlementContext,
} from './settlement-run.js';

export interface FundingRunInput {
  readonly instrumentId: string;
  /** Rate per interval as a plain decimal string; positive: longs pay shorts. */
  readonly fundingRate: string;
  /** The funding interval, e.g. '2026-11-25T08' (1..64 of [A-Za-z0-9_.-]); part of the idempotency key. */
  readonly fundingId: string;
  /** The caller's clock: the mark used is the latest accepted one observed at or before it. */
  readonly nowEpochMs: number;
  /** When given, a mark observed more than this before now is refused (STALE_MARK_PRICE). */
  readonly maxMarkAgeMs?: number;
}

export interface FundingRunResult {
  /** False when this funding had already been applied: nothing changed, the original result is returned. */
  readonly applied: boolean;
  readonly idempotencyKey: string;
  readonly instrumentId: string;
  readonly fundingId: string;
  readonly fundingRate: Decimal;
  readonly markPrice: Decimal;
  readonly markObservedAt: Date;
  /** Settlement asset the payments are in (the coin for inverse perpetuals). */
  readonly asset: string;
  /** Per open position, credited (positive) or debited (negative) as posted. */
  readonly payments: readonly AccountAmount[];
  /** Null when no money moved (zero rate, or every payment rounded to zero). */
  readonly journalEntryId: string | null;
}

interface FundingRequest {
  readonly fundingRate: string;
}

interface StoredFunding {
  readonly fundingId: string;
  readonly markPrice: string;
  readonly markObservedAtEpochMs: number;
  readonly asset: string;
  readonly payments: readonly { accountId: string; amount: string }[];
}

/**
 * Pays one funding interval of a perpetual, at the latest accepted mark price, against the
 * 'variation_margin' house account (which keeps the rounding residual), in one transaction. Idempotent on
 * `funding:<instrumentId>:<fundingId>`: a rerun returns the original result with applied = false; a rerun
 * with another rate is refused (IDEMPOTENCY_CONFLICT). Positions are locked but not changed.
 */
export async function runFunding(dataSource: DataSource, input: FundingRunInput): Promise<FundingRunResult> {
  assertInstrumentId(input.instrumentId);
  assertRunIdentifier(input.fundingId, 'fundingId');
  assertEpochMs(input.nowEpochMs, 'nowEpochMs');
  if (input.maxMarkAgeMs !== undefined) assertEpochMs(input.maxMarkAgeMs, 'maxMarkAgeMs');
  const fundingRate = parseAmount(input.fundingRate, 'fundingRate', false);
  const request: FundingRequest = { fundingRate: fundingRate.toFixed() };

  return dataSource.transaction(async (manager) => {
    const instrument = await lockInstrument(manager, input.instrumentId);
    if (instrument.kind !== 'perpetual') {
      throw new SettlementError('WRONG_INSTRUMENT_KIND', 'instrumentId', `${instrument.kind} pays no funding`);
    }
    const key = `funding:${instrument.id}:${input.fundingId}`;
    const applied = await findAppliedRun<FundingRequest, StoredFunding>(manager, key, request);
    if (applied !== null) return fromStored(key, instrument.id, fundingRate, applied.result, applied.journalEntryId);
    if (instrument.status !== 'active') {
      throw new SettlementError('INSTRUMENT_NOT_ACTIVE', 'instrumentId', `is ${instrument.status}`);
    }
    const latest = await latestMarketData(manager, {
      instrumentIds: [instrument.id],
      underlyings: [],
      asOfEpochMs: input.nowEpochMs,
    });
    const mark = latest.marks.get(instrument.id);
    if (mark === undefined) throw new SettlementError('MISSING_MARK_PRICE', 'instrumentId', 'has no mark price');
    if (input.maxMarkAgeMs !== undefined && mark.observedAt.getTime() < input.nowEpochMs - input.maxMarkAgeMs) {
      throw new SettlementError('STALE_MARK_PRICE', 'instrumentId', `mark observed ${mark.observedAt.toISOString()}`);
    }
    const context = await settlementContext(manager, instrument);
    const positions = (await lockPositions(manager, instrument.id)).filter((position) => !position.quantity.isZero());
    const computed = clearing(() =>
      fundingPayments({
        instrument: toDomainInstrument(instrument),
        markPrice: mark.price,
        fundingRate,
        positions: positions.map(({ accountId, quantity }) => ({ accountId, quantity })),
        fundingId: input.fundingId,
        houseAccount: context.houseAccountId,
        settlementAssetScale: context.scale,
      }),
    );
    const journalEntryId = await postRunEntry(manager, computed.journalEntry);
    const stored: StoredFunding = {
      fundingId: input.fundingId,
      markPrice: mark.price.toFixed(),
      markObservedAtEpochMs: mark.observedAt.getTime(),
      asset: context.asset,
      payments: computed.payments.map(({ accountId, amount }) => ({ accountId, amount: amount.toFixed() })),
    };
    await recordRun(manager, 'settlement.funding', key, { request, result: stored, journalEntryId });
    return { ...fromStored(key, instrument.id, fundingRate, stored, journalEntryId), applied: true };
  });
}

function fromStored(
  idempotencyKey: string,
  instrumentId: string,
  fundingRate: Decimal,
  stored: StoredFunding,
  journalEntryId: string | null,
): FundingRunResult {
  return {
    applied: false,
    idempotencyKey,
    instrumentId,
    fundingId: stored.fundingId,
    fundingRate,
    markPrice: new Decimal(stored.markPrice),
    markObservedAt: new Date(stored.markObservedAtEpochMs),
    asset: stored.asset,
    payments: stored.payments.map(({ accountId, amount }) => ({ accountId, amount: new Decimal(amount) })),
    journalEntryId,
  };
}
