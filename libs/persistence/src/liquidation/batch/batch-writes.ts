/**
 * The batch's slice writes and the statements its steps share: every slice's journal entry (one bulk post),
 * the liquidated accounts' position moves, the step rows with their fills, the liquidations' status, and the account events put back in the order one-by-one steps record them.
 */

import type { EntityManager } from 'typeorm';
import type { AccountEventDraft } from '../../events/account-events.js';
import { LedgerError } from '../../ledger.js';
import { compareText } from '../../margin/margin-request-builder.js';
import { postJournalEntries } from '../../trades/bulk-ledger.js';
import { arrayParameter } from '../../trades/sql.js';
import { sliceFillRecord, type SliceFill, type SliceStepPlan } from '../execute-liquidation-step.js';
import { insertLiquidationSteps } from '../liquidation-store.js';
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
  await insertLiquidationSteps(
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
