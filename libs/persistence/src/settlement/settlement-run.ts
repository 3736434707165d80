import { ClearingError } from '@novation/clearing';
import type { JournalEntryDraft } from '@novation/clearing';
import { DecimalParseError, parseDecimal } from '@novation/money';
import type { Decimal } from '@novation/money';
import type { EntityManager } from 'typeorm';
import { PositionEntity } from '../entities/clearing.entity.js';
import { AuditLogEntity } from '../entities/governance.entity.js';
import { JournalEntryEntity } from '../entities/ledger.entity.js';
import { AccountEntity } from '../entities/membership.entity.js';
import { AssetEntity, InstrumentEntity } from '../entities/reference-data.entity.js';
import { postJournalEntry } from '../ledger.js';
import { SettlementError } from './settlement-error.js';

/**
 * Shared steps of the settlement runs (funding, variation margin, expiry). Each run is one transaction:
 * lock the instrument row FOR UPDATE (which serializes runs of one instrument), check the idempotency key
 * (journal entry key, and the run record in audit_log) BEFORE touching positions, lock the positions in
 * account order, compute with libs/clearing, post the journal entry, update positions by compare-and-swap
 * on version, and record the run (request and result) in audit_log. The run record is what a rerun
 * returns, and it guards runs that moved no money (a zero rate, an unchanged price: no journal entry).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RUN_IDENTIFIER = /^[A-Za-z0-9_.-]{1,64}$/;
const PRICE_MAX_DIGITS_BEFORE_POINT = 20;
const MONEY_SCALE = 18;

export const SETTLEMENT_ACTOR = 'settlement';
export const SETTLEMENT_SUBJECT_TYPE = 'settlement_run';

/** The house account every settlement run (funding included) pays from and into; see index.ts. */
export const SETTLEMENT_HOUSE_ROLE = 'variation_margin';

export function assertInstrumentId(value: unknown): asserts value is string {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw new SettlementError('UNKNOWN_INSTRUMENT', 'instrumentId', 'must be the uuid of an instrument');
  }
}

export function assertRunIdentifier(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string' || !RUN_IDENTIFIER.test(value)) {
    throw new SettlementError('INVALID_IDENTIFIER', field, 'must be 1..64 characters of [A-Za-z0-9_.-]');
  }
}

export function assertEpochMs(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new SettlementError('INVALID_TIMESTAMP', field, 'must be non-negative integer epoch milliseconds');
  }
}

/** A plain decimal string as stored by numeric(38,18); `positive` also refuses zero and negatives. */
export function parseAmount(value: unknown, field: string, positive: boolean): Decimal {
  let amount: Decimal;
  try {
    amount = parseDecimal(value, { scaleMax: MONEY_SCALE });
  } catch (error) {
    if (error instanceof DecimalParseError) {
      throw new SettlementError('INVALID_AMOUNT', field, 'must be a plain decimal string, at most 18 decimals');
    }
    throw error;
  }
  if (amount.abs().trunc().toFixed().length > PRICE_MAX_DIGITS_BEFORE_POINT) {
    throw new SettlementError('INVALID_AMOUNT', field, 'is out of range');
  }
  if (positive && (!amount.isPositive() || amount.isZero())) {
    throw new SettlementError('INVALID_AMOUNT', field, `must be > 0, got ${amount.toFixed()}`);
  }
  return amount;
}

export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return (
    match !== null &&
    new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))).toISOString().slice(0, 10) === value
  );
}

/** The instrument row, locked FOR UPDATE for the rest of the transaction. */
export async function lockInstrument(manager: EntityManager, instrumentId: string): Promise<InstrumentEntity> {
  const instrument = await manager
    .createQueryBuilder(InstrumentEntity, 'instrument')
    .setLock('pessimistic_write')
    .where('instrument.id = :instrumentId', { instrumentId })
    .getOne();
  if (instrument === null) throw new SettlementError('UNKNOWN_INSTRUMENT', 'instrumentId', `${instrumentId} not found`);
  return instrument;
}

/** Every position row of the instrument (open or flat), locked FOR UPDATE in account order. */
export async function lockPositions(manager: EntityManager, instrumentId: string): Promise<PositionEntity[]> {
  return manager
    .createQueryBuilder(PositionEntity, 'position')
    .setLock('pessimistic_write')
    .where('position.instrumentId = :instrumentId', { instrumentId })
    .orderBy('position.accountId', 'ASC')
    .getMany();
}

export interface SettlementContext {
  readonly houseAccountId: string;
  readonly asset: string;
  readonly scale: number;
}

export async function settlementContext(
  manager: EntityManager,
  instrument: InstrumentEntity,
): Promise<SettlementContext> {
  const house = await manager.findOneBy(AccountEntity, { houseRole: SETTLEMENT_HOUSE_ROLE });
  if (house === null) {
    throw new SettlementError('MISSING_HOUSE_ACCOUNT', 'houseAccount', `no '${SETTLEMENT_HOUSE_ROLE}' house account`);
  }
  const asset = await manager.findOneBy(AssetEntity, { code: instrument.settlementAsset });
  if (asset === null) throw new SettlementError('UNKNOWN_ASSET', 'settlementAsset', instrument.settlementAsset);
  return { houseAccountId: house.id, asset: asset.code, scale: asset.scale };
}

export interface RunRecord<Request, Result> {
  readonly request: Request;
  readonly result: Result;
  readonly journalEntryId: string | null;
}

/**
 * The record of a run already applied under `key`, or null. Refuses (IDEMPOTENCY_CONFLICT) a rerun with
 * another request, and a journal entry under the key without a run record (posted by something else:
 * there is no original result to return, and applying again would post twice).
 */
export async function findAppliedRun<Request, Result>(
  manager: EntityManager,
  key: string,
  request: Request,
): Promise<RunRecord<Request, Result> | null> {
  const record = await manager.findOne(AuditLogEntity, {
    where: { subjectType: SETTLEMENT_SUBJECT_TYPE, subjectId: key },
    order: { id: 'ASC' },
  });
  const journal = await manager.findOneBy(JournalEntryEntity, { idempotencyKey: key });
  if (record === null) {
    if (journal !== null) {
      throw new SettlementError('IDEMPOTENCY_CONFLICT', 'idempotencyKey', `${key} has a journal entry but no run`);
    }
    return null;
  }
  const applied = record.details as RunRecord<Request, Result>;
  if (JSON.stringify(applied.request) !== JSON.stringify(request)) {
    throw new SettlementError(
      'IDEMPOTENCY_CONFLICT',
      'idempotencyKey',
      `${key} was applied with ${JSON.stringify(applied.request)}`,
    );
  }
  return applied;
}

/** Posts the entry (if any money moves); the key was checked free in this transaction, so it must be new. */
export async function postRunEntry(manager: EntityManager, draft: JournalEntryDraft | null): Promise<string | null> {
  if (draft === null) return null;
  const posted = await postJournalEntry(manager, draft);
  if (!posted.created) {
    throw new SettlementError('CONCURRENT_MODIFICATION', 'idempotencyKey', `${draft.idempotencyKey} already posted`);
  }
  return posted.journalEntryId;
}

export async function recordRun<Request, Result>(
  manager: EntityManager,
  action: string,
  key: string,
  record: RunRecord<Request, Result>,
): Promise<void> {
  await manager.insert(AuditLogEntity, {
    actor: SETTLEMENT_ACTOR,
    action,
    subjectType: SETTLEMENT_SUBJECT_TYPE,
    subjectId: key,
    details: record,
  });
}

/**
 * Compare-and-swap of one position on its version (bumped); exactly one row must change, otherwise the
 * row moved under the lock (a bug elsewhere) and the whole run rolls back.
 */
export async function updatePosition(
  manager: EntityManager,
  position: PositionEntity,
  changes: { quantity?: Decimal; averageEntryPrice: Decimal | null },
): Promise<void> {
  const result = await manager
    .createQueryBuilder()
    .update(PositionEntity)
    .set({ ...changes, version: () => 'version + 1', updatedAt: () => 'now()' })
    .where('account_id = :accountId AND instrument_id = :instrumentId AND version = :version', {
      accountId: position.accountId,
      instrumentId: position.instrumentId,
      version: position.version,
    })
    .execute();
  if (result.affected !== 1) {
    throw new SettlementError(
      'CONCURRENT_MODIFICATION',
      'position',
      `${position.accountId}/${position.instrumentId} changed (version ${position.version})`,
    );
  }
}

/** Runs a libs/clearing computation, turning its typed refusal into a SettlementError. */
export function clearing<T>(compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    if (error instanceof ClearingError) {
      throw new SettlementError('CLEARING_REFUSED', error.field, error.message, error.code, { cause: error });
    }
    throw error;
  }
}
