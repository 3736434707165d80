import type { AccountMarginState } from '../entities/membership.entity.js';
import type { EntityManager } from 'typeorm';
import { recordOutboxEvent } from '../outbox/outbox.js';
import { recordAccountEvent } from '../events/account-events.js';

export interface OpenedLiquidation {
  readonly liquidationId: string;
  readonly outboxEventId: string;
}

/** The payload of an outbox event of kind 'liquidation' (the job data without the event id). */
export interface LiquidationOutboxPayload {
  readonly liquidationId: string;
  readonly accountId: string;
}

/** The outbox dedupe key of a breach: it names the liquidation row, never just the account. */
export const liquidationDedupeKey = (liquidationId: string): string => `liquidation-${liquidationId}`;

/**
 * The state a margin run leaves an account in once its margin call is considered: an account still under
 * its call (below IM, above MM) whose open call is past its deadline is liquidated (issue 6 §4). Runs in
 * the margin run's transaction, under the account lock.
 */
export async function applyMarginCallDeadline(
  manager: EntityManager,
  accountId: string,
  previousState: AccountMarginState,
  nextState: AccountMarginState,
  nowEpochMs: number,
): Promise<AccountMarginState> {
  if (previousState !== 'margin_call' || nextState !== 'margin_call') return nextState;
  const expired: { id: string }[] = await manager.query(
    `SELECT id FROM margin_call WHERE account_id = $1 AND status = 'open' AND deadline_at <= $2`,
    [accountId, new Date(nowEpochMs)],
  );
  return expired.length > 0 ? 'liquidating' : nextState;
}

/**
 * Records a breach: the liquidation row (linked to the open margin call, if any), its outbox event
 * (dedupe key `liquidation-<liquidation id>`) and the account event, all in the caller's transaction,
 * the one that moved the account to 'liquidating'. Nothing is enqueued here: the outbox dispatcher hands
 * the event to the liquidation queue after commit, and the reconciler re-enqueues it if the job is lost.
 */
export async function openLiquidation(
  manager: EntityManager,
  breach: { readonly accountId: string; readonly receiptId: string; readonly nowEpochMs: number },
): Promise<OpenedLiquidation> {
  const calls: { id: string }[] = await manager.query(
    `SELECT id FROM margin_call WHERE account_id = $1 AND status = 'open'`,
    [breach.accountId],
  );
  const [row] = (await manager.query(
    `INSERT INTO liquidation (account_id, margin_call_id, trigger_receipt_id, status, created_at, next_step_at)
     VALUES ($1, $2, $3, 'pending', $4, $4) RETURNING id`,
    [breach.accountId, calls[0]?.id ?? null, breach.receiptId, new Date(breach.nowEpochMs)],
  )) as { id: string }[];
  if (row === undefined) throw new Error(`liquidation of ${breach.accountId} not inserted`);
  const payload: LiquidationOutboxPayload = { liquidationId: row.id, accountId: breach.accountId };
  const event = await recordOutboxEvent(manager, {
    kind: 'liquidation',
    dedupeKey: liquidationDedupeKey(row.id),
    payload,
  });
  await recordAccountEvent(manager, {
    accountId: breach.accountId,
    kind: 'liquidation-started',
    dedupeKey: `liquidation-started-${row.id}`,
    payload: { liquidationId: row.id, triggerReceiptId: breach.receiptId, marginCallId: calls[0]?.id ?? null },
  });
  return { liquidationId: row.id, outboxEventId: event.id };
}
