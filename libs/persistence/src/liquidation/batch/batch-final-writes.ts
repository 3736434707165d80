/**
 * The batch's final-step writes: the conversions' and covers' journal entries (one bulk post) with the moved
 * accounts margined afresh, then for every final step its open margin calls marked 'liquidated', a new call
 * for an account left below IM, the account state by compare-and-swap, the completed liquidation, its step
 * row and its events.
 */

import type { JournalEntryDraft } from '@novation/clearing';
import { Decimal } from '@novation/money';
import { computeMarginReceipt, type MarginResult } from '@novation/risk';
import type { EntityManager } from 'typeorm';
import type { AccountMarginState } from '../../entities/membership.entity.js';
import type { AccountEventDraft } from '../../events/account-events.js';
import { LedgerError, type JournalEntryDraft as LedgerEntryDraft } from '../../ledger.js';
import { storeReceipts } from '../../margin/margin-account.js';
import { buildMarginRequests } from '../../margin/margin-request-builder.js';
import type { ActiveParameterSet } from '../../margin/parameter-set-body.js';
import { postJournalEntries } from '../../trades/bulk-ledger.js';
import { arrayParameter } from '../../trades/sql.js';
import { conversionDetails, stateAfterLiquidation } from '../execute-liquidation-step.js';
import { LiquidationError } from '../liquidation-error.js';
import { insertLiquidationSteps } from '../liquidation-store.js';
import type { FinalStep } from './batch-types.js';

/**
 * Final steps with nothing to convert or cover: nothing posts, so the step's margin run is also the one that
 * decides the account's state (as executeFinalStep reuses it). Open calls are marked 'liquidated', a new
 * call opens for an account left below IM, states move by compare-and-swap, the liquidations complete.
 */
export async function writeFinals(
  manager: EntityManager,
  finals: readonly FinalStep[],
  parameterSet: ActiveParameterSet,
  nowEpochMs: number,
  events: AccountEventDraft[],
): Promise<void> {
  if (finals.length === 0) return;
  const now = new Date(nowEpochMs);
  const accountIds = finals.map((step) => step.account.id);
  const liquidated: { id: string; account_id: string; resolved_at: Date }[] = await manager
    .query(
      `UPDATE margin_call SET status = 'liquidated', resolved_at = $2 WHERE account_id = ANY($1::uuid[]) AND status = 'open'
     RETURNING id, account_id, resolved_at`,
      [arrayParameter(accountIds), now],
    )
    .then((result: [typeof liquidated, number]) => result[0]);
  const newStates = new Map(
    finals.map((step) => [
      step.account.id,
      step.negativeAfter ? ('liquidating' as const) : stateAfterLiquidation(step.receipt.result),
    ]),
  );
  const deficitOf = (step: FinalStep): string => step.deficit.toFixed();
  const calling = finals.filter((step) => newStates.get(step.account.id) === 'margin_call');
  const opened = new Map<
    string,
    { id: string; shortfall: string; deadline_at: Date; receipt_id: string; asset: string }
  >();
  if (calling.length > 0) {
    const deadline = new Date(nowEpochMs + parameterSet.body.marginCall.deadlineMs);
    const rows: {
      id: string;
      account_id: string;
      shortfall: string;
      deadline_at: Date;
      receipt_id: string;
      asset: string;
    }[] = await manager.query(
      `INSERT INTO margin_call (account_id, receipt_id, shortfall, asset, deadline_at, status, resolved_at)
         SELECT account_id, receipt_id, shortfall, asset, $5, 'open', NULL
           FROM unnest($1::uuid[], $2::bigint[], $3::numeric[], $4::text[]) WITH ORDINALITY
             AS input(account_id, receipt_id, shortfall, asset, ordinal)
          ORDER BY ordinal
         RETURNING id, account_id, shortfall::text AS shortfall, deadline_at, receipt_id::text AS receipt_id, asset`,
      [
        arrayParameter(calling.map((step) => step.account.id)),
        arrayParameter(calling.map((step) => step.receiptId)),
        arrayParameter(calling.map((step) => shortfallOf(step.receipt.result).toFixed())),
        arrayParameter(calling.map((step) => step.receipt.result.marginAsset)),
        deadline,
      ],
    );
    for (const row of rows) opened.set(row.account_id, row);
  }
  const moving = finals.filter((step) => newStates.get(step.account.id) !== step.account.marginState);
  if (moving.length > 0) {
    const [, affected] = (await manager.query(
      `UPDATE account SET margin_state = next.state, margin_state_version = account.margin_state_version + 1
         FROM unnest($1::uuid[], $2::text[], $3::bigint[]) AS next(id, state, version)
        WHERE account.id = next.id AND account.margin_state_version = next.version`,
      [
        arrayParameter(moving.map((step) => step.account.id)),
        arrayParameter(moving.map((step) => newStates.get(step.account.id) as string)),
        arrayParameter(moving.map((step) => String(step.account.marginStateVersion))),
      ],
    )) as [unknown, number];
    if (affected !== moving.length) {
      throw new LiquidationError(
        'MISSING_POSITION',
        `margin state compare-and-swap moved ${affected} of ${moving.length}`,
      );
    }
  }
  await manager.query(
    `UPDATE liquidation SET status = 'completed', deficit = next.deficit, completed_at = $3, next_step_at = NULL
       FROM unnest($1::uuid[], $2::numeric[]) AS next(id, deficit) WHERE liquidation.id = next.id`,
    [arrayParameter(finals.map((step) => step.liquidationId)), arrayParameter(finals.map(deficitOf)), now],
  );
  await insertLiquidationSteps(
    manager,
    finals.map((step) => ({
      liquidationId: step.liquidationId,
      stepNumber: step.stepNumber,
      kind: 'final' as const,
      idempotencyKey: step.idempotencyKey,
      receiptId: step.receiptId,
      journalEntryId: step.conversionEntryId ?? null,
      details: {
        deficit: deficitOf(step),
        uncovered: '0',
        newState: newStates.get(step.account.id),
        marginCallId: opened.get(step.account.id)?.id ?? null,
        conversion: conversionDetails(step.conversion),
        cover: step.cover?.details ?? null,
      },
      fills: [],
    })),
    nowEpochMs,
  );
  for (const step of finals) {
    const accountId = step.account.id;
    for (const call of liquidated.filter((row) => row.account_id === accountId)) {
      events.push({
        accountId,
        kind: 'margin-call-resolved',
        dedupeKey: `margin-call-resolved:${call.id}`,
        payload: { marginCallId: call.id, status: 'liquidated', resolvedAt: new Date(call.resolved_at).toISOString() },
      });
    }
    const newState = newStates.get(accountId) as AccountMarginState;
    if (newState !== step.account.marginState) {
      const { result } = step.receipt;
      events.push({
        accountId,
        kind: 'margin-state-changed',
        dedupeKey: `margin-state:${step.receiptId}`,
        payload: {
          fromState: step.account.marginState,
          toState: newState,
          marginAsset: result.marginAsset,
          equity: result.equity,
          initialMargin: result.initialMargin,
          maintenanceMargin: result.maintenanceMargin,
          receiptId: step.receiptId,
        },
      });
      const call = opened.get(accountId);
      if (call !== undefined) {
        events.push({
          accountId,
          kind: 'margin-call-opened',
          dedupeKey: `margin-call-opened:${call.id}`,
          payload: {
            marginCallId: call.id,
            shortfall: new Decimal(call.shortfall).toFixed(),
            asset: call.asset,
            deadlineAt: new Date(call.deadline_at).toISOString(),
            receiptId: call.receipt_id,
          },
        });
      }
    }
    events.push({
      accountId,
      kind: 'liquidation-completed',
      dedupeKey: `liquidation-completed-${step.liquidationId}`,
      payload: {
        liquidationId: step.liquidationId,
        steps: step.stepNumber,
        deficit: deficitOf(step),
        uncovered: '0',
        marginState: newState,
        conversion: conversionDetails(step.conversion),
      },
    });
  }
}

/**
 * Posts the finals' conversions and covers (one bulk post), then margins the accounts they moved money
 * of afresh (one batched read: their state follows the run after, as executeFinalStep's) and stores those
 * receipts. A final that posted nothing keeps its step's own run.
 */
export async function postFinalEntries(
  manager: EntityManager,
  finals: readonly FinalStep[],
  parameterSet: ActiveParameterSet,
  nowEpochMs: number,
): Promise<FinalStep[]> {
  const entriesOf = (step: FinalStep): JournalEntryDraft[] => [
    ...(step.conversion?.status === 'converted' ? [step.conversion.journalEntry] : []),
    ...(step.cover?.entries ?? []),
  ];
  const posting = finals.filter((step) => entriesOf(step).length > 0);
  if (posting.length === 0) return [...finals];
  const drafts = posting.flatMap(entriesOf) as readonly LedgerEntryDraft[];
  const posted = await postJournalEntries(manager, drafts);
  const entryIds = new Map<string, string>();
  posted.forEach((result, index) => {
    if (result instanceof LedgerError) throw result;
    const key = (drafts[index] as LedgerEntryDraft).idempotencyKey;
    if (!result.created) throw new LedgerError('IDEMPOTENCY_KEY_REUSED', `entry ${key} exists`);
    entryIds.set(key, result.journalEntryId);
  });
  const requests = await buildMarginRequests(
    manager,
    posting.map((step) => step.account.id),
    nowEpochMs,
    { parameterSet },
  );
  const fresh = posting.map((step) => {
    const request = requests.get(step.account.id);
    if (request === undefined || request instanceof Error) {
      throw request ?? new LiquidationError('UNKNOWN_LIQUIDATION', `no margin request for ${step.account.id}`);
    }
    return computeMarginReceipt(request);
  });
  const receiptIds = await storeReceipts(
    manager,
    posting.map((step, index) => ({ accountId: step.account.id, receipt: fresh[index] as MarginReceipt })),
  );
  const rerun = new Map(
    posting.map((step, index) => [
      step.liquidationId,
      { receipt: fresh[index] as MarginReceipt, receiptId: receiptIds[index] as string },
    ]),
  );
  return finals.map((step) => {
    const run = rerun.get(step.liquidationId);
    if (run === undefined) return step;
    const conversionEntryId =
      step.conversion?.status === 'converted' ? entryIds.get(step.conversion.journalEntry.idempotencyKey) : undefined;
    return { ...step, ...run, ...(conversionEntryId === undefined ? {} : { conversionEntryId }) };
  });
}

type MarginReceipt = ReturnType<typeof computeMarginReceipt>;

function shortfallOf(result: MarginResult): Decimal {
  return new Decimal(result.initialMargin).minus(result.equityForInitialMargin);
}
