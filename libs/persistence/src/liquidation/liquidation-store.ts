import { applyFill, type ClearingPosition } from '@novation/clearing';
import type { Instrument } from '@novation/instruments';
import { Decimal } from '@novation/money';
import { EntityNotFoundError, type EntityManager } from 'typeorm';
import type { HouseRole } from '../entities/membership.entity.js';
import type { LiquidationStatus } from '../entities/margin.entity.js';
import { AssetEntity } from '../entities/reference-data.entity.js';
import { arrayParameter } from '../trades/sql.js';
import { LiquidationError } from './liquidation-error.js';

/** Most steps one liquidation may take: a liquidation that has not finished by then is stuck, not slow. */
export const LIQUIDATION_STEPS_MAX = 10_000;

export interface LockedLiquidation {
  readonly id: string;
  readonly accountId: string;
  readonly marginCallId: string | null;
  readonly status: LiquidationStatus;
  readonly nextStepAt: Date | null;
}

/** Who took part in a position change: stored with the fill, read by the auditor. */
export type LiquidationFillRole = 'liquidated' | 'liquidation_account' | 'adl_counterparty';

/** One position change a liquidation made, to store once its step row exists. */
export interface LiquidationFillRecord {
  readonly accountId: string;
  readonly instrumentId: string;
  readonly role: LiquidationFillRole;
  /** Signed change of the position. */
  readonly quantity: Decimal;
  readonly price: Decimal;
}

export interface LockedPosition {
  readonly accountId: string;
  readonly instrumentId: string;
  readonly position: ClearingPosition;
  readonly version: string;
}

/** The liquidation row, locked FOR UPDATE: one step of a liquidation runs at a time. */
export async function lockLiquidation(manager: EntityManager, liquidationId: string): Promise<LockedLiquidation> {
  const rows: {
    id: string;
    account_id: string;
    margin_call_id: string | null;
    status: LiquidationStatus;
    next_step_at: Date | null;
  }[] = await manager.query(
    `SELECT id, account_id, margin_call_id, status, next_step_at FROM liquidation WHERE id = $1 FOR UPDATE`,
    [liquidationId],
  );
  const row = rows[0];
  if (row === undefined) throw new LiquidationError('UNKNOWN_LIQUIDATION', `no liquidation ${liquidationId}`);
  return {
    id: row.id,
    accountId: row.account_id,
    marginCallId: row.margin_call_id,
    status: row.status,
    nextStepAt: row.next_step_at === null ? null : new Date(row.next_step_at),
  };
}

/** The number the next step of a liquidation takes (1 for the first). */
export async function nextStepNumber(manager: EntityManager, liquidationId: string): Promise<number> {
  const [row] = (await manager.query(
    `SELECT coalesce(max(step_number), 0)::int AS last FROM liquidation_step WHERE liquidation_id = $1`,
    [liquidationId],
  )) as { last: number }[];
  const next = (row?.last ?? 0) + 1;
  if (next > LIQUIDATION_STEPS_MAX) {
    throw new LiquidationError(
      'TOO_MANY_STEPS',
      `liquidation ${liquidationId} has taken ${LIQUIDATION_STEPS_MAX} steps`,
    );
  }
  return next;
}

/**
 * House account ids by DataSource. A house account is created once per role (unique index) and never
 * deleted nor given another role, so an id read once stays right for the DataSource's life: a step no
 * longer reads it on every use. Filled by the first read, inside the caller's transaction.
 */
const houseAccountIds = new WeakMap<object, Map<HouseRole, string>>();

/** The clearinghouse's house account of `role` (one per role, unique index). */
export async function houseAccountId(manager: EntityManager, role: HouseRole): Promise<string> {
  const known = houseAccountIds.get(manager.connection)?.get(role);
  if (known !== undefined) return known;
  const rows: { id: string }[] = await manager.query(`SELECT id FROM account WHERE house_role = $1`, [role]);
  const id = rows[0]?.id;
  if (id === undefined) throw new LiquidationError('MISSING_HOUSE_ACCOUNT', `no house account ${role}`);
  const byRole = houseAccountIds.get(manager.connection) ?? new Map<HouseRole, string>();
  houseAccountIds.set(manager.connection, byRole.set(role, id));
  return id;
}

/** The scale of each of `assets`, in one statement; an unknown asset fails as findOneByOrFail would. */
export async function assetScales(manager: EntityManager, assets: readonly string[]): Promise<Map<string, number>> {
  const wanted = [...new Set(assets)];
  const rows: { code: string; scale: number }[] = await manager.query(
    `SELECT code, scale FROM asset WHERE code = ANY($1::text[])`,
    [wanted],
  );
  const scales = new Map(rows.map((row) => [row.code, Number(row.scale)]));
  for (const asset of wanted) {
    if (!scales.has(asset)) throw new EntityNotFoundError(AssetEntity, { code: asset });
  }
  return scales;
}

/** An account's ledger balance of one asset (0 without postings). */
export async function balanceOf(manager: EntityManager, accountId: string, asset: string): Promise<Decimal> {
  const rows: { balance: string }[] = await manager.query(
    `SELECT balance::text AS balance FROM account_balance WHERE account_id = $1 AND asset = $2`,
    [accountId, asset],
  );
  return new Decimal(rows[0]?.balance ?? '0');
}

/** Locks the position row FOR UPDATE on the writing transaction, creating it (flat) first if missing. */
export async function lockPosition(
  manager: EntityManager,
  accountId: string,
  instrumentId: string,
): Promise<LockedPosition> {
  // The row nearly always exists (the liquidated account's position, the liquidation account's after its
  // first fill in the instrument): lock it first, and create it only when missing.
  let row = await selectPositionForUpdate(manager, accountId, instrumentId);
  if (row === undefined) {
    await manager.query(
      `INSERT INTO position (account_id, instrument_id) VALUES ($1, $2) ON CONFLICT (account_id, instrument_id) DO NOTHING`,
      [accountId, instrumentId],
    );
    row = await selectPositionForUpdate(manager, accountId, instrumentId);
  }
  if (row === undefined) throw new LiquidationError('MISSING_POSITION', `no position ${accountId}/${instrumentId}`);
  return {
    accountId,
    instrumentId,
    version: row.version,
    position: {
      quantity: new Decimal(row.quantity),
      averageEntryPrice: row.average_entry_price === null ? null : new Decimal(row.average_entry_price),
      realisedPnl: new Decimal(row.realised_pnl),
    },
  };
}

async function selectPositionForUpdate(manager: EntityManager, accountId: string, instrumentId: string) {
  const rows: { quantity: string; average_entry_price: string | null; realised_pnl: string; version: string }[] =
    await manager.query(
      `SELECT quantity::text AS quantity, average_entry_price::text AS average_entry_price,
              realised_pnl::text AS realised_pnl, version::text AS version
         FROM position WHERE account_id = $1 AND instrument_id = $2 FOR UPDATE`,
      [accountId, instrumentId],
    );
  return rows[0];
}

/**
 * Applies one liquidation fill to a locked position (applyFill of libs/clearing) and writes it by
 * compare-and-swap on its version. `postedPnl` is what the ledger entry of the fill posted for this
 * account: it, not the exact unrounded PnL, is added to the position's realised PnL. Returns the exact
 * PnL the fill realised. An option fill is applied as an option trade is: its price is a premium, the
 * average price the average premium, and it realises no PnL (postedPnl 0). Its price is > 0: marks are
 * (mark_price.price > 0), and so is a mark moved by a penalty below 1.
 */
export async function applyLiquidationFill(
  manager: EntityManager,
  locked: LockedPosition,
  instrument: Instrument,
  change: { readonly quantity: Decimal; readonly price: Decimal; readonly postedPnl: Decimal },
  nowEpochMs: number,
): Promise<Decimal> {
  const result = applyFill(
    locked.position,
    { side: change.quantity.isNegative() ? 'sell' : 'buy', quantity: change.quantity.abs(), price: change.price },
    instrument,
  );
  const next = result.position;
  const [, affected] = (await manager.query(
    `UPDATE position SET quantity = $3, average_entry_price = $4, realised_pnl = $5, version = version + 1,
            updated_at = $6
      WHERE account_id = $1 AND instrument_id = $2 AND version = $7`,
    [
      locked.accountId,
      locked.instrumentId,
      next.quantity.toFixed(),
      next.averageEntryPrice === null || next.quantity.isZero() ? null : next.averageEntryPrice.toFixed(),
      locked.position.realisedPnl.plus(change.postedPnl).toFixed(),
      new Date(nowEpochMs),
      locked.version,
    ],
  )) as [unknown, number];
  if (affected !== 1) {
    throw new LiquidationError('MISSING_POSITION', `position ${locked.accountId}/${locked.instrumentId} changed`);
  }
  return result.realisedPnl;
}

/** Stores one executed step and its fills (insertLiquidationSteps of one). */
export async function insertLiquidationStep(
  manager: EntityManager,
  step: Omit<LiquidationStepRow, 'fills'> & { readonly nowEpochMs: number },
  fills: readonly LiquidationFillRecord[],
): Promise<void> {
  const { nowEpochMs, ...row } = step;
  await insertLiquidationSteps(manager, [{ ...row, fills }], nowEpochMs);
}

/** A step row to store, with the fills it made. */
export interface LiquidationStepRow {
  readonly liquidationId: string;
  readonly stepNumber: number;
  readonly kind: 'slice' | 'final';
  readonly idempotencyKey: string;
  readonly receiptId: string;
  readonly journalEntryId: string | null;
  readonly details: unknown;
  readonly fills: readonly LiquidationFillRecord[];
}

/**
 * Stores executed steps and their fills in one statement, in the order given; each step's unique
 * (liquidation, number) and idempotency key refuse a second copy (the statement fails).
 */
export async function insertLiquidationSteps(
  manager: EntityManager,
  steps: readonly LiquidationStepRow[],
  nowEpochMs: number,
): Promise<void> {
  const fills = steps.flatMap((step, index) => step.fills.map((fill) => ({ step: index + 1, fill })));
  const column = <Row>(rows: readonly Row[], pick: (row: Row) => string | null) => arrayParameter(rows.map(pick));
  const [result] = (await manager.query(
    `WITH step_input AS (
       SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::jsonb[])
         WITH ORDINALITY AS input(liquidation_id, step_number, kind, idempotency_key, receipt_id, journal_entry_id,
                                  details, ordinal)
     ), step AS (
       INSERT INTO liquidation_step (liquidation_id, step_number, kind, idempotency_key, receipt_id, journal_entry_id,
                                     details, executed_at)
       SELECT liquidation_id, step_number, kind, idempotency_key, receipt_id, journal_entry_id, details, $8
         FROM step_input ORDER BY ordinal
       RETURNING id, idempotency_key
     ), step_id AS (
       SELECT step.id, step_input.ordinal FROM step JOIN step_input USING (idempotency_key)
     ), filled AS (
       INSERT INTO liquidation_fill (liquidation_step_id, account_id, instrument_id, role, quantity, price)
       SELECT step_id.id, fill.account_id, fill.instrument_id, fill.role, fill.quantity, fill.price
         FROM unnest($9::int[], $10::uuid[], $11::uuid[], $12::text[], $13::numeric[], $14::numeric[])
           WITH ORDINALITY AS fill(step_ordinal, account_id, instrument_id, role, quantity, price, ordinal)
         JOIN step_id ON step_id.ordinal = fill.step_ordinal
        ORDER BY fill.ordinal
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM step)::int AS steps, (SELECT count(*) FROM filled)::int AS fills`,
    [
      column(steps, (step) => step.liquidationId),
      column(steps, (step) => String(step.stepNumber)),
      column(steps, (step) => step.kind),
      column(steps, (step) => step.idempotencyKey),
      column(steps, (step) => step.receiptId),
      column(steps, (step) => step.journalEntryId),
      column(steps, (step) => JSON.stringify(step.details)),
      new Date(nowEpochMs),
      column(fills, ({ step }) => String(step)),
      column(fills, ({ fill }) => fill.accountId),
      column(fills, ({ fill }) => fill.instrumentId),
      column(fills, ({ fill }) => fill.role),
      column(fills, ({ fill }) => fill.quantity.toFixed()),
      column(fills, ({ fill }) => fill.price.toFixed()),
    ],
  )) as { steps: number; fills: number }[];
  if (Number(result?.steps) !== steps.length || Number(result?.fills) !== fills.length) {
    throw new Error(
      `inserted ${result?.steps} steps and ${result?.fills} fills, expected ${steps.length} and ${fills.length}`,
    );
  }
}
