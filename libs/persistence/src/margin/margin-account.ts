import { Decimal } from '@novation/money';
import { canonicalJson, computeMarginReceipt, sha256Hex, type MarginResult } from '@novation/risk';
import type { DataSource, EntityManager } from 'typeorm';
import { MarginCallEntity, MarginReceiptEntity } from '../entities/margin.entity.js';
import { recordMarginStateEvents } from '../events/margin-events.js';
import { AccountEntity, type AccountMarginState } from '../entities/membership.entity.js';
import { conversionRetryDue } from '../liquidation/convert-collateral.js';
import { applyMarginCallDeadline, openLiquidation } from '../liquidation/open-liquidation.js';
import { buildMarginRequest, buildMarginRequests } from './margin-request-builder.js';
import { MarginServiceError, assertEpochMs } from './margin-service-error.js';
import { activeParameterSet, type ActiveParameterSet } from './parameter-set-body.js';
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
    return settleMarginState(manager, { account, receiptId, result: receipt.result, parameterSet, nowEpochMs });
  });
}

/** Accounts margined in one transaction by marginAccounts. */
export const MARGIN_BATCH_ACCOUNTS_MAX = 100;

export interface MarginAccountsOutcome {
  /** Per margined account, what marginAccount would have returned for it. */
  readonly outcomes: ReadonlyMap<string, MarginAccountOutcome>;
  /** Per account that could not be margined, why (UNKNOWN_ACCOUNT, NOT_A_MEMBER_ACCOUNT, MISSING_MARKET_DATA...). */
  readonly failures: ReadonlyMap<string, Error>;
}

/**
 * marginAccount for many accounts: up to MARGIN_BATCH_ACCOUNTS_MAX per transaction, their rows locked in id
 * order by one statement, the parameter set, positions, instruments, marks, balances, index prices and
 * return histories read once for all of them (buildMarginRequests) and the receipts stored by one insert.
 * Each account gets exactly the receipt and state change marginAccount would give it alone. An account that
 * cannot be margined is reported in `failures` and does not stop the others; if a batch's shared writes
 * fail, its accounts are margined one by one, so one bad account still cannot hold the rest back.
 */
export async function marginAccounts(
  dataSource: DataSource,
  accountIds: readonly string[],
  nowEpochMs: number,
): Promise<MarginAccountsOutcome> {
  assertEpochMs(nowEpochMs);
  const outcomes = new Map<string, MarginAccountOutcome>();
  const failures = new Map<string, Error>();
  const ids: string[] = [];
  for (const id of new Set(accountIds)) {
    if (isUuid(id)) ids.push(id);
    else failures.set(String(id), new MarginServiceError('UNKNOWN_ACCOUNT', `no account ${String(id)}`));
  }
  ids.sort();
  for (let start = 0; start < ids.length; start += MARGIN_BATCH_ACCOUNTS_MAX) {
    const chunk = ids.slice(start, start + MARGIN_BATCH_ACCOUNTS_MAX);
    let batch: MarginAccountsOutcome;
    try {
      batch = await inTransactionWithRetry(dataSource, (manager) => marginBatch(manager, chunk, nowEpochMs));
    } catch {
      batch = await marginOneByOne(dataSource, chunk, nowEpochMs);
    }
    for (const [id, outcome] of batch.outcomes) outcomes.set(id, outcome);
    for (const [id, failure] of batch.failures) failures.set(id, failure);
  }
  return { outcomes, failures };
}

async function marginOneByOne(
  dataSource: DataSource,
  accountIds: readonly string[],
  nowEpochMs: number,
): Promise<MarginAccountsOutcome> {
  const outcomes = new Map<string, MarginAccountOutcome>();
  const failures = new Map<string, Error>();
  for (const id of accountIds) {
    try {
      outcomes.set(id, await marginAccount(dataSource, id, nowEpochMs));
    } catch (error) {
      failures.set(id, error instanceof Error ? error : new Error(String(error)));
    }
  }
  return { outcomes, failures };
}

async function marginBatch(
  manager: EntityManager,
  accountIds: readonly string[],
  nowEpochMs: number,
): Promise<MarginAccountsOutcome> {
  const outcomes = new Map<string, MarginAccountOutcome>();
  const failures = new Map<string, Error>();
  const accounts = await lockAccounts(manager, accountIds);
  for (const id of accountIds) {
    if (!accounts.has(id)) failures.set(id, new MarginServiceError('UNKNOWN_ACCOUNT', `no account ${id}`));
  }
  if (accounts.size === 0) return { outcomes, failures };
  const parameterSet = await activeParameterSet(manager, nowEpochMs);
  const requests = await buildMarginRequests(manager, [...accounts.keys()], nowEpochMs, { parameterSet });
  const computed: { account: AccountEntity; receipt: ReturnType<typeof computeMarginReceipt> }[] = [];
  for (const account of accounts.values()) {
    const request = requests.get(account.id);
    if (request === undefined || request instanceof Error) {
      failures.set(account.id, request ?? new MarginServiceError('UNKNOWN_ACCOUNT', `no account ${account.id}`));
      continue;
    }
    try {
      computed.push({ account, receipt: computeMarginReceipt(request) });
    } catch (error) {
      failures.set(account.id, error instanceof Error ? error : new Error(String(error)));
    }
  }
  const receiptIds = await storeReceipts(
    manager,
    computed.map(({ account, receipt }) => ({ accountId: account.id, receipt })),
  );
  for (const [index, { account, receipt }] of computed.entries()) {
    const receiptId = receiptIds[index] as string;
    outcomes.set(
      account.id,
      await settleMarginState(manager, { account, receiptId, result: receipt.result, parameterSet, nowEpochMs }),
    );
  }
  return { outcomes, failures };
}

/**
 * What follows a stored receipt, under the account's lock, in the margin run's transaction: the state moves
 * by compare-and-swap on margin_state_version:
 * - below MM, or a margin call past its deadline: -> liquidating, with the liquidation row and its outbox
 *   event (libs/persistence/src/liquidation/open-liquidation.ts) in the same transaction;
 * - below IM: healthy -> margin_call, with one open margin call (shortfall IM - equity for IM);
 * - healthy: margin_call -> healthy, the open call marked 'met'.
 */
async function settleMarginState(
  manager: EntityManager,
  run: {
    readonly account: AccountEntity;
    readonly receiptId: string;
    readonly result: MarginResult;
    readonly parameterSet: ActiveParameterSet;
    readonly nowEpochMs: number;
  },
): Promise<MarginAccountOutcome> {
  const { account, receiptId, result, parameterSet, nowEpochMs } = run;
  const accountId = account.id;
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
  } else if (
    newState === 'liquidating' &&
    previousState === 'liquidating' &&
    (await conversionRetryDue(manager, account, parameterSet, nowEpochMs))
  ) {
    // Its last liquidation could not convert its collateral for want of a fresh price: now it can.
    await openLiquidation(manager, { accountId, receiptId, nowEpochMs });
  }
  // Announced to the owner's API subscriptions at commit; nothing if the run rolls back.
  await recordMarginStateEvents(manager, { accountId, receiptId, result, previousState, newState, marginCallId });
  return { receiptId, result, previousState, newState, ...(marginCallId === undefined ? {} : { marginCallId }) };
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
  const [id] = await storeReceipts(manager, [{ accountId, receipt }]);
  return id as string;
}

/**
 * storeReceipt for many receipts in one insert; the ids in the order given. Their parameters are stored
 * once per content (margin_receipt_parameters, keyed by the SHA-256 of their canonical JSON) and named by
 * each receipt's parameters_hash: every receipt of a parameter set carries the same 2-3 KB of them.
 */
export async function storeReceipts(
  manager: EntityManager,
  receipts: readonly { readonly accountId: string; readonly receipt: ReturnType<typeof computeMarginReceipt> }[],
): Promise<string[]> {
  if (receipts.length === 0) return [];
  const keys = receipts.map(({ receipt }) => parametersKey(receipt.parameters));
  const distinct = new Map(keys.map((key) => [key.hash, key.json]));
  await manager.query(
    `INSERT INTO margin_receipt_parameters (hash, parameters)
     SELECT * FROM unnest($1::char(64)[], $2::jsonb[]) ON CONFLICT (hash) DO NOTHING`,
    [[...distinct.keys()], [...distinct.values()]],
  );
  const inserted = await manager.insert(
    MarginReceiptEntity,
    receipts.map((receipt, index) => ({ ...receiptRow(receipt), parametersHash: (keys[index] as ParametersKey).hash })),
  );
  return inserted.identifiers.map((identifier) => String(identifier['id']));
}

interface ParametersKey {
  readonly hash: string;
  readonly json: string;
}

/** Hashes of the parameter documents seen last (JSON text -> canonical hash), most recent last. */
const parametersHashes = new Map<string, string>();
const PARAMETERS_HASHES_MAX = 64;

/**
 * A parameters document's key: its JSON (what is stored) and the SHA-256 of its canonical JSON. Each
 * receipt's request is parsed afresh, so its parameters are a new object every time, but the same text:
 * the hash is remembered by text, and one parameter set costs one canonical serialisation, not one per
 * receipt. Equal text means equal content, so a remembered hash is always the right one.
 */
function parametersKey(parameters: unknown): ParametersKey {
  const json = JSON.stringify(parameters);
  let hash = parametersHashes.get(json);
  if (hash === undefined) {
    hash = sha256Hex(canonicalJson(parameters));
    parametersHashes.set(json, hash);
    if (parametersHashes.size > PARAMETERS_HASHES_MAX) {
      parametersHashes.delete(parametersHashes.keys().next().value as string);
    }
  }
  return { hash, json };
}

/**
 * The stored receipts' whole inputs, as hashed: each row's `inputs` with its parameters put back from
 * margin_receipt_parameters (one read for all of them). Rows stored before parameters were kept apart
 * (parameters_hash NULL) hold them inline and come back as they are.
 */
export async function receiptInputs(
  manager: EntityManager,
  rows: readonly Pick<MarginReceiptEntity, 'inputs' | 'parametersHash'>[],
): Promise<Record<string, unknown>[]> {
  const hashes = [...new Set(rows.flatMap((row) => (row.parametersHash === null ? [] : [row.parametersHash])))];
  const stored: { hash: string; parameters: unknown }[] =
    hashes.length === 0
      ? []
      : await manager.query(`SELECT hash, parameters FROM margin_receipt_parameters WHERE hash = ANY($1::char(64)[])`, [
          hashes,
        ]);
  const parameters = new Map(stored.map((row) => [row.hash, row.parameters]));
  return rows.map((row) => {
    const inputs = row.inputs as Record<string, unknown>;
    if (row.parametersHash === null) return inputs;
    if (!parameters.has(row.parametersHash)) {
      throw new MarginServiceError('UNKNOWN_RECEIPT', `receipt parameters ${row.parametersHash} are missing`);
    }
    return { ...inputs, parameters: parameters.get(row.parametersHash) };
  });
}

function receiptRow({
  accountId,
  receipt,
}: {
  readonly accountId: string;
  readonly receipt: ReturnType<typeof computeMarginReceipt>;
}) {
  const { result } = receipt;
  return {
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
      positions: receipt.positions,
      collateral: receipt.collateral,
      marketSnapshot: receipt.marketSnapshot,
    },
    result,
    equity: new Decimal(result.equity),
    initialMargin: new Decimal(result.initialMargin),
    maintenanceMargin: new Decimal(result.maintenanceMargin),
    marginStatus: result.status,
  };
}

/** The stored receipt as JSON, ready for `replayMarginReceipt` or `novation-risk replay`. */
export async function exportReceipt(manager: EntityManager, receiptId: string): Promise<ExportedMarginReceipt> {
  const row = /^[0-9]{1,19}$/.test(receiptId) ? await manager.findOneBy(MarginReceiptEntity, { id: receiptId }) : null;
  if (row === null) throw new MarginServiceError('UNKNOWN_RECEIPT', `no margin receipt ${receiptId}`);
  const [whole] = await receiptInputs(manager, [row]);
  const inputs = whole as unknown as Omit<ExportedMarginReceipt, 'inputsHash' | 'resultHash' | 'result'>;
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
