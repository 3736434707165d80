import type { MarginResult } from '@novation/risk';
import type { EntityManager } from 'typeorm';
import { MarginCallEntity } from '../entities/margin.entity.js';
import type { AccountMarginState } from '../entities/membership.entity.js';
import { AccountEventError, recordAccountEvent } from './account-events.js';

/** What a margin run changed, as `marginAccount` knows it after its compare-and-swap. */
export interface MarginStateChange {
  readonly accountId: string;
  readonly receiptId: string;
  readonly result: Pick<MarginResult, 'marginAsset' | 'equity' | 'initialMargin' | 'maintenanceMargin'>;
  readonly previousState: AccountMarginState;
  readonly newState: AccountMarginState;
  /** The call this run opened (-> margin_call) or met (margin_call -> healthy), if any. */
  readonly marginCallId?: string | undefined;
}

/**
 * Records the account events of one margin state change, in the margin run's transaction:
 * `margin-state-changed`, then `margin-call-opened` or `margin-call-resolved` for the call the run opened or
 * met. Keys derive from the receipt and the call, so a retried or re-delivered run records nothing twice.
 */
export async function recordMarginStateEvents(manager: EntityManager, change: MarginStateChange): Promise<void> {
  if (change.previousState === change.newState) return;
  await recordAccountEvent(manager, {
    accountId: change.accountId,
    kind: 'margin-state-changed',
    dedupeKey: `margin-state:${change.receiptId}`,
    payload: {
      fromState: change.previousState,
      toState: change.newState,
      marginAsset: change.result.marginAsset,
      equity: change.result.equity,
      initialMargin: change.result.initialMargin,
      maintenanceMargin: change.result.maintenanceMargin,
      receiptId: change.receiptId,
    },
  });
  if (change.marginCallId === undefined) return;
  const call = await manager.findOneBy(MarginCallEntity, { id: change.marginCallId });
  if (call === null) throw new AccountEventError(`margin call ${change.marginCallId} not found`);
  if (call.status === 'open') await recordMarginCallOpenedEvent(manager, call);
  else await recordMarginCallResolvedEvent(manager, call);
}

/** `margin-call-opened` for a call (keyed by the call: one per call, however often it is recorded). */
export async function recordMarginCallOpenedEvent(
  manager: EntityManager,
  call: Pick<MarginCallEntity, 'id' | 'accountId' | 'receiptId' | 'shortfall' | 'asset' | 'deadlineAt'>,
): Promise<void> {
  await recordAccountEvent(manager, {
    accountId: call.accountId,
    kind: 'margin-call-opened',
    dedupeKey: `margin-call-opened:${call.id}`,
    payload: {
      marginCallId: call.id,
      shortfall: call.shortfall.toFixed(),
      asset: call.asset,
      deadlineAt: call.deadlineAt.toISOString(),
      receiptId: call.receiptId,
    },
  });
}

/** `margin-call-resolved` for a call that left 'open' (met, liquidated or cancelled): one per call. */
export async function recordMarginCallResolvedEvent(
  manager: EntityManager,
  call: Pick<MarginCallEntity, 'id' | 'accountId' | 'status' | 'resolvedAt'>,
): Promise<void> {
  if (call.status === 'open') throw new AccountEventError(`margin call ${call.id} is still open`);
  await recordAccountEvent(manager, {
    accountId: call.accountId,
    kind: 'margin-call-resolved',
    dedupeKey: `margin-call-resolved:${call.id}`,
    payload: {
      marginCallId: call.id,
      status: call.status,
      resolvedAt: call.resolvedAt === null ? null : call.resolvedAt.toISOString(),
    },
  });
}
