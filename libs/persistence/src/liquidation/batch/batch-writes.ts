/**
 * The batch's slice writes and the statements its steps share: every slice's journal entry (one bulk post),
 * the liquidated accounts' position moves, the step rows with their fills (one insert for slices and finals
 * alike), the liquidations' status, and the account events put back in the order one-by-one steps record them.
 */

import type { EntityManager } from 'typeorm';
import type { AccountEventDraft } from '../../events/account-events.js';
import { LedgerError } from '../../ledger.js';
import { compareText } from '../../margin/margin-request-builder.js';
import { postJournalEntries } from '../../trades/bulk-ledger.js';
import { arrayParameter } from '../../trades/sql.js';
import { sliceFillRecord, type SliceFill, type SliceStepPlan } from '../execute-liquidation-step.js';
import type { LiquidationFillRecord } from '../liquidation-store.js';
import { movePositions } from './batch-positions.js';
import type { SliceStep, Stepped } from './batch-types.js';

/** Every slice's journal entry, position changes, step row with its fills, liquidation status and event. */
export async function writeSlices(
  manager: EntityManager,
  slices: readonly SliceStep[],
  nowEpochMs: number,
  nextStepAtEpochMs: number,
  events: AccountEventDraft[],
  houseFills: SliceFill[],
): Promise<void> {
  if (slices.length === 0) return;
  const withEntries = slices.filter((step) => step.plan.journalEntry !== null);
  const posted = await postJournalEntries(
    manager,
    withEntries.map((step) => step.plan.journalEntry as NonNullable<SliceStepPlan['journalEntry']>),
  );
  const journalEntryIds = new Map<string, string>();
  posted.forEach((result, index) => {
    const step = withEntries[index] as SliceStep;
    // A key already used means a step this batch does not know about: rolled back, run one by one.
    if (result instanceof LedgerError) throw result;
    if (!result.created) throw new LedgerError('IDEMPOTENCY_KEY_REUSED', `step key ${step.idempotencyKey} exists`);
    journalEntryIds.set(step.liquidationId, result.journalEntryId);
  });
  // The liquidated accounts' own positions now; the liquidation account's, which every batch shares, last.
  const fills = slices.flatMap((step) => step.plan.fills);
  await movePositions(
    manager,
    fills.filter((fill) => fill.role === 'liquidated'),
    nowEpochMs,
  );
  houseFills.push(...fills.filter((fill) => fill.role === 'liquidation_account'));
  await insertSteps(
    manager,
    slices.map((step) => ({
      liquidationId: step.liquidationId,
      stepNumber: step.stepNumber,
      kind: 'slice' as const,
      idempotencyKey: step.idempotencyKey,
      receiptId: step.receiptId,
      journalEntryId: journalEntryIds.get(step.liquidationId) ?? null,
      details: step.plan.details,
      fills: step.plan.fills.map(sliceFillRecord),
    })),
    nowEpochMs,
  );
  await manager.query(`UPDATE liquidation SET status = 'in_progress', next_step_at = $2 WHERE id = ANY($1::uuid[])`, [
    arrayParameter(slices.map((step) => step.liquidationId)),
    new Date(nextStepAtEpochMs),
  ]);
  for (const step of slices) {
    events.push({
      accountId: step.account.id,
      kind: 'liquidation-step',
      dedupeKey: `liquidation-step-${step.liquidationId}-${step.stepNumber}`,
      payload: {
        liquidationId: step.liquidationId,
        stepNumber: step.stepNumber,
        receiptId: step.receiptId,
        ...step.plan.event,
      },
    });
  }
}

interface StepRow {
  readonly liquidationId: string;
  readonly stepNumber: number;
  readonly kind: 'slice' | 'final';
  readonly idempotencyKey: string;
  readonly receiptId: string;
  readonly journalEntryId: string | null;
  readonly details: unknown;
  readonly fills: readonly LiquidationFillRecord[];
}

/** The steps and their fills in one statement (insertLiquidationStep's rows, in the batch's order). */
export async function insertSteps(
  manager: EntityManager,
  steps: readonly StepRow[],
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

/** The batch's events in the order one-by-one steps would record them: by liquidation id, each step's own order. */
export function orderedEvents(events: readonly AccountEventDraft[], stepped: readonly Stepped[]): AccountEventDraft[] {
  const order = new Map(
    [...stepped]
      .sort((a, b) => compareText(a.liquidationId, b.liquidationId))
      .map((step, index) => [step.account.id, index]),
  );
  return events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => (order.get(a.event.accountId) ?? 0) - (order.get(b.event.accountId) ?? 0) || a.index - b.index)
    .map(({ event }) => event);
}
