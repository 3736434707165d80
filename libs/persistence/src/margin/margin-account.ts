import { Decimal } from '@novation/money';
import { computeMarginReceipt, type MarginResult } from '@novation/risk';
import type { DataSource, EntityManager } from 'typeorm';
import { MarginCallEntity, MarginReceiptEntity } from '../entities/margin.entity.js';
import { recordMarginStateEvents } from '../events/margin-events.js';
import { AccountEntity, type AccountMarginState } from '../entities/membership.entity.js';
import { applyMarginCallDeadline, openLiquidation } from '../liquidation/open-liquidation.js';
import { buildMarginRequest } from './margin-request-builder.js';
import { MarginServiceError, assertEpochMs } from './margin-service-error.js';
import { activeParameterSet } from './parameter-set-body.js';
import { inTransactionWithRetry, isUuid, lockAccounts } from './transaction.js';

export interface MarginAccountOutcome {
  readonly receiptId: string;
  readonly result: MarginResult;
  readonly previousState: AccountMarginState;
  readonly newState: AccountMarginState;
  /** The margin call opened by this run (healthy -> margin_call) or met by it (margin_call -> healthy). */
  readonly marginCallId?: string;
}

/** A stored receipt as `replayMarginReceipt` (and `novation-risk replay`) reads it. */
export interface ExportedMarginReceipt {
  readonly engineVersion: string;
  readonly model: string;
  readonly parameterSetVersion: string;
  readonly parameters: unknown;
  readonly positions: unknown;
  readonly collateral: unknown;
  readonly marketSnapshot: unknown;
  readonly inputsHash: string;
  readonly resultHash: string;
  readonly result: unknown;
}

/**
 * Margins an account at `nowEpochMs` in one transaction: locks the account row, builds the request from
 * database state, computes the receipt, stores it, and moves the margin state by compare-and-swap on
 * margin_state_version:
 * - below MM, or a margin call past its deadline: -> liquidating, with the liquidation row and its outbox
 *   event (libs/persistence/src/liquidation/open-liquidation.ts) in the same transaction;
 * - below IM: healthy -> margin_call, with one open margin call (shortfall IM - equity for IM);
 * - healthy: margin_call -> healthy, the open call marked 'met'.
 * 'liquidating' is left only by the liquidation process, never by a margin run.
 */
export async function marginAccount(
  dataSource: DataSource,
  accountId: string,
  nowEpochMs: number,
): Promise<MarginAccountOutcome> {
  assertEpochMs(nowEpochMs);
  if (!isUuid(accountId)) throw new MarginServiceError('UNKNOWN_ACCOUNT', `no account ${String(accountId)}`);
  return inTransactionWithRetry(dataSource, async (manager) => {
    const account = (await lockAccounts(manager, [accountId])).get(accountId);
    if (account === undefined) throw new MarginServiceError('UNKNOWN_ACCOUNT', `no account ${accountId}`);
    const parameterSet = await activeParameterSet(manager, nowEpochMs);
    const request = await buildMarginRequest(manager, accountId, nowEpochMs, { parameterSet });
    const receipt = computeMarginReceipt(request);
    const receiptId = await storeReceipt(manager, accountId, receipt);
    const { result } = receipt;
    const previousState = account.marginState;
    // A margin call past its deadline liquidates even above MM (issue 6 §4).
    const newState = await applyMarginCallDeadline(
      manager,
      accountId,
      previousState,
      nextMarginState(previousState, result.status),
      nowEpochMs,
    );
    let marginCallId: string | undefined;
    if (newState !== previousState) {
      await compareAndSwapMarginState(manager, account, newState);
      if (previousState === 'healthy' && newState === 'margin_call') {
        const shortfall = new Decimal(result.initialMargin).minus(result.equityForInitialMargin);
        const inserted = await manager.insert(MarginCallEntity, {
          accountId,
          receiptId,
          shortfall,
          asset: result.marginAsset,
          deadlineAt: new Date(nowEpochMs + parameterSet.body.marginCall.deadlineMs),
          status: 'open',
          resolvedAt: null,
        });
        marginCallId = String(inserted.identifiers[0]?.['id']);
      } else if (previousState === 'margin_call' && newState === 'healthy') {
        const met = await manager
          .createQueryBuilder()
          .update(MarginCallEntity)
          .set({ status: 'met', resolvedAt: new Date(nowEpochMs) })
          .where(`account_id = :accountId AND status = 'open'`, { accountId })
          .returning(['id'])
          .execute();
        const metRows = met.raw as { id: string }[];
        marginCallId = metRows[0]?.id;
      }
    }
    // The breach (liquidation row + outbox event) commits with the move to 'liquidating', or not at all.
    if (newState === 'liquidating' && previousState !== 'liquidating') {
      await openLiquidation(manager, { accountId, receiptId, nowEpochMs });
    }
    // Announced to the owner's API subscriptions at commit; nothing if the run rolls back.
    await recordMarginStateEvents(manager, { accountId, receiptId, result, previousState, newState, marginCallId });
    return { receiptId, result, previousState, newState, ...(marginCallId === undefined ? {} : { marginCallId }) };
  });
}

/** The state a margin result moves an account to from `current`. */
export function nextMarginState(current: AccountMarginState, status: MarginResult['status']): AccountMarginState {
  switch (status) {
    case 'below_maintenance_margin':
      return 'liquidating';
    case 'below_initial_margin':
      return current === 'healthy' ? 'margin_call' : current;
    case 'healthy':
      return current === 'margin_call' ? 'healthy' : current;
  }
}

/**
 * Sets the margin state if margin_state_version is still the one read with the row (it is locked, so a
 * mismatch means a writer that did not lock it: refused, never overwritten). Bumps the version.
 */
export async function compareAndSwapMarginState(
  manager: EntityManager,
  account: Pick<AccountEntity, 'id' | 'marginStateVersion'>,
  newState: AccountMarginState,
): Promise<void> {
  const updated = await manager
    .createQueryBuilder()
    .update(AccountEntity)
    .set({ marginState: newState, marginStateVersion: () => 'margin_state_version + 1' })
    .where('id = :id AND margin_state_version = :version', { id: account.id, version: account.marginStateVersion })
    .execute();
  if (updated.affected !== 1) {
    throw new MarginServiceError(
      'MARGIN_STATE_CONFLICT',
      `account ${account.id} margin state changed under version ${account.marginStateVersion}`,
    );
  }
}

/** Stores a receipt (inputs exactly as hashed) and returns its id. Runs in the caller's transaction. */
export async function storeReceipt(
  manager: EntityManager,
  accountId: string,
  receipt: ReturnType<typeof computeMarginReceipt>,
): Promise<string> {
  const { result } = receipt;
  const inserted = await manager.insert(MarginReceiptEntity, {
    accountId,
    inputsHash: receipt.inputsHash,
    resultHash: receipt.resultHash,
    engineVersion: receipt.engineVersion,
    parameterSetVersion: receipt.parameterSetVersion,
    model: receipt.model,
    inputs: {
      engineVersion: receipt.engineVersion,
      model: receipt.model,
      parameterSetVersion: receipt.parameterSetVersion,
      parameters: receipt.parameters,
      positions: receipt.positions,
      collateral: receipt.collateral,
      marketSnapshot: receipt.marketSnapshot,
    },
    result,
    equity: new Decimal(result.equity),
    initialMargin: new Decimal(result.initialMargin),
    maintenanceMargin: new Decimal(result.maintenanceMargin),
    marginStatus: result.status,
  });
  return String(inserted.identifiers[0]?.['id']);
}

/** The stored receipt as JSON, ready for `replayMarginReceipt` or `novation-risk replay`. */
export async function exportReceipt(manager: EntityManager, receiptId: string): Promise<ExportedMarginReceipt> {
  const row = /^[0-9]{1,19}$/.test(receiptId) ? await manager.findOneBy(MarginReceiptEntity, { id: receiptId }) : null;
  if (row === null) throw new MarginServiceError('UNKNOWN_RECEIPT', `no margin receipt ${receiptId}`);
  const inputs = row.inputs as Omit<ExportedMarginReceipt, 'inputsHash' | 'resultHash' | 'result'>;
  return {
    engineVersion: inputs.engineVersion,
    model: inputs.model,
    parameterSetVersion: inputs.parameterSetVersion,
    parameters: inputs.parameters,
    positions: inputs.positions,
    collateral: inputs.collateral,
    marketSnapshot: inputs.marketSnapshot,
    inputsHash: row.inputsHash,
    resultHash: row.resultHash,
    result: row.result,
  };
}
