import { Decimal, DecimalParseError, parseDecimal } from '@novation/money';
import { computeMarginReceipt } from '@novation/risk';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditLogEntity } from '../entities/governance.entity.js';
import { AccountEntity } from '../entities/membership.entity.js';
import { AssetEntity } from '../entities/reference-data.entity.js';
import { JournalEntryEntity } from '../entities/ledger.entity.js';
import { LedgerError, postJournalEntry, type JournalEntryDraft } from '../ledger.js';
import { storeReceipt } from '../margin/margin-account.js';
import { buildMarginRequest } from '../margin/margin-request-builder.js';
import { assertEpochMs } from '../margin/margin-service-error.js';
import { inTransactionWithRetry, isUuid, lockAccounts } from '../margin/transaction.js';
import { CollateralOperationError } from './collateral-operation-error.js';

/** Longest idempotency key (the journal_entry column). */
const IDEMPOTENCY_KEY_LENGTH_MAX = 200;
/** numeric(38,18): at most 20 integer digits. */
const AMOUNT_LIMIT = new Decimal('1e20');
const ACTOR = 'collateral-service';

export interface DepositCommand {
  readonly accountId: string;
  readonly asset: string;
  /** Plain decimal string > 0 with at most the asset's scale in decimals. */
  readonly amount: string;
  readonly idempotencyKey: string;
}

export interface WithdrawalCommand extends DepositCommand {
  readonly nowEpochMs: number;
}

export interface TransferCommand {
  readonly fromAccountId: string;
  readonly toAccountId: string;
  readonly asset: string;
  readonly amount: string;
  readonly idempotencyKey: string;
  readonly nowEpochMs: number;
}

export interface DepositOutcome {
  readonly journalEntryId: string;
  /** False when the key had already been applied with the same payload: a retry, with no new effect. */
  readonly created: boolean;
  readonly accountId: string;
  readonly asset: string;
  /** The amount moved, normalised (plain decimal string). */
  readonly amount: string;
}

/** The margin check a withdrawal or transfer passed: the account margined with the amount already gone. */
export interface MarginCheck {
  readonly receiptId: string;
  readonly equityForInitialMargin: string;
  readonly initialMargin: string;
}

export interface WithdrawalOutcome extends DepositOutcome {
  readonly marginCheck: MarginCheck;
}

export interface TransferOutcome {
  readonly journalEntryId: string;
  readonly created: boolean;
  readonly fromAccountId: string;
  readonly toAccountId: string;
  readonly asset: string;
  readonly amount: string;
  readonly marginCheck: MarginCheck;
}

/** Credits a member account with collateral received in custody (debits the custody house account). */
export async function recordDeposit(dataSource: DataSource, command: DepositCommand): Promise<DepositOutcome> {
  const key = checkIdempotencyKey(command.idempotencyKey);
  checkAccountId(command.accountId);
  return runMoneyTransaction(dataSource, async (manager) => {
    const { asset, amount } = await parseAssetAmount(manager, command.asset, command.amount);
    const account = (await lockAccounts(manager, [command.accountId])).get(command.accountId);
    assertMemberAccount(account, command.accountId);
    if (account.status === 'closed') {
      throw new CollateralOperationError('ACCOUNT_NOT_ACTIVE', `account ${account.id} is closed`);
    }
    const custody = await custodyAccount(manager);
    const posted = await postJournalEntry(manager, {
      idempotencyKey: key,
      kind: 'deposit',
      description: `deposit of ${amount.toFixed()} ${asset} to ${account.id}`,
      postings: [
        { accountId: account.id, asset, amount },
        { accountId: custody.id, asset, amount: amount.negated() },
      ],
    });
    return { ...posted, accountId: account.id, asset, amount: amount.toFixed() };
  });
}

/**
 * Pays collateral out of a member account to custody, in one transaction holding the account's row lock:
 * refused while the account is under a margin call or being liquidated, above the balance, or when the
 * account margined with the amount already withdrawn would have less equity (after IM haircuts) than IM.
 * The margin computation of an accepted withdrawal is stored as a receipt; a retry with the same key and
 * payload returns the original outcome without new effect.
 */
export async function requestWithdrawal(
  dataSource: DataSource,
  command: WithdrawalCommand,
): Promise<WithdrawalOutcome> {
  const key = checkIdempotencyKey(command.idempotencyKey);
  checkAccountId(command.accountId);
  checkTime(command.nowEpochMs);
  return runMoneyTransaction(dataSource, async (manager) => {
    const { asset, amount } = await parseAssetAmount(manager, command.asset, command.amount);
    const account = (await lockAccounts(manager, [command.accountId])).get(command.accountId);
    assertMemberAccount(account, command.accountId);
    const custody = await custodyAccount(manager);
    const draft: JournalEntryDraft = {
      idempotencyKey: key,
      kind: 'withdrawal',
      description: `withdrawal of ${amount.toFixed()} ${asset} from ${account.id}`,
      postings: [
        { accountId: account.id, asset, amount: amount.negated() },
        { accountId: custody.id, asset, amount },
      ],
    };
    const base = { accountId: account.id, asset, amount: amount.toFixed() };
    const replayed = await replayIfApplied(manager, draft);
    if (replayed !== null) return { ...base, ...replayed };
    assertCanPayOut(account);
    await assertBalanceCovers(manager, account.id, asset, amount);
    const marginCheck = await checkInitialMargin(manager, account.id, asset, amount, command.nowEpochMs);
    const posted = await postEntry(manager, draft);
    await recordOutcome(manager, 'collateral.withdrawal', posted.journalEntryId, { ...base, marginCheck });
    return { ...base, ...posted, marginCheck };
  });
}

/**
 * Moves collateral between two accounts of the same member firm. Both rows are locked in id order; the
 * source must not be under a margin call and must still cover IM without the amount.
 */
export async function transferCollateral(dataSource: DataSource, command: TransferCommand): Promise<TransferOutcome> {
  const key = checkIdempotencyKey(command.idempotencyKey);
  checkAccountId(command.fromAccountId);
  checkAccountId(command.toAccountId);
  checkTime(command.nowEpochMs);
  if (command.fromAccountId === command.toAccountId) {
    throw new CollateralOperationError('SAME_ACCOUNT', 'a transfer needs two different accounts');
  }
  return runMoneyTransaction(dataSource, async (manager) => {
    const { asset, amount } = await parseAssetAmount(manager, command.asset, command.amount);
    const locked = await lockAccounts(manager, [command.fromAccountId, command.toAccountId]);
    const from = locked.get(command.fromAccountId);
    const to = locked.get(command.toAccountId);
    assertMemberAccount(from, command.fromAccountId);
    assertMemberAccount(to, command.toAccountId);
    if (from.memberFirmId !== to.memberFirmId) {
      throw new CollateralOperationError(
        'DIFFERENT_MEMBERS',
        `accounts ${from.id} and ${to.id} belong to different members`,
      );
    }
    if (to.status === 'closed') throw new CollateralOperationError('ACCOUNT_NOT_ACTIVE', `account ${to.id} is closed`);
    const draft: JournalEntryDraft = {
      idempotencyKey: key,
      kind: 'collateral_transfer',
      description: `transfer of ${amount.toFixed()} ${asset} from ${from.id} to ${to.id}`,
      postings: [
        { accountId: from.id, asset, amount: amount.negated() },
        { accountId: to.id, asset, amount },
      ],
    };
    const base = { fromAccountId: from.id, toAccountId: to.id, asset, amount: amount.toFixed() };
    const replayed = await replayIfApplied(manager, draft);
    if (replayed !== null) return { ...base, ...replayed };
    assertCanPayOut(from);
    await assertBalanceCovers(manager, from.id, asset, amount);
    const marginCheck = await checkInitialMargin(manager, from.id, asset, amount, command.nowEpochMs);
    const posted = await postEntry(manager, draft);
    await recordOutcome(manager, 'collateral.transfer', posted.journalEntryId, { ...base, marginCheck });
    return { ...base, ...posted, marginCheck };
  });
}

/** Runs a money transaction with bounded retry; a ledger key reuse comes out as a CollateralOperationError. */
async function runMoneyTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  try {
    return await inTransactionWithRetry(dataSource, work);
  } catch (error) {
    if (error instanceof LedgerError && error.code === 'IDEMPOTENCY_KEY_REUSED') {
      throw new CollateralOperationError('IDEMPOTENCY_KEY_REUSED', error.message);
    }
    throw error;
  }
}

async function postEntry(
  manager: EntityManager,
  draft: JournalEntryDraft,
): Promise<{ journalEntryId: string; created: boolean }> {
  const posted = await postJournalEntry(manager, draft);
  return { journalEntryId: posted.journalEntryId, created: posted.created };
}

/**
 * When the key was already applied: the original outcome if the payload is the same (postJournalEntry
 * then inserts nothing), IDEMPOTENCY_KEY_REUSED if not. Null when the key is new.
 */
async function replayIfApplied(
  manager: EntityManager,
  draft: JournalEntryDraft,
): Promise<{ journalEntryId: string; created: false; marginCheck: MarginCheck } | null> {
  const existing = await manager.findOneBy(JournalEntryEntity, { idempotencyKey: draft.idempotencyKey });
  if (existing === null) return null;
  const posted = await postJournalEntry(manager, draft);
  const outcome = await manager.findOne(AuditLogEntity, {
    where: { subjectType: 'journal_entry', subjectId: posted.journalEntryId, actor: ACTOR },
    order: { id: 'ASC' },
  });
  const details = (outcome?.details ?? {}) as { marginCheck?: MarginCheck };
  if (details.marginCheck === undefined) {
    throw new CollateralOperationError('IDEMPOTENCY_KEY_REUSED', `key ${draft.idempotencyKey} has no stored outcome`);
  }
  return { journalEntryId: posted.journalEntryId, created: false, marginCheck: details.marginCheck };
}

/** The outcome of an accepted withdrawal or transfer, stored so a retry returns it unchanged. */
async function recordOutcome(
  manager: EntityManager,
  action: string,
  journalEntryId: string,
  details: Record<string, unknown>,
): Promise<void> {
  await manager.insert(AuditLogEntity, {
    actor: ACTOR,
    action,
    subjectType: 'journal_entry',
    subjectId: journalEntryId,
    details,
  });
}

/** Margins the account with `amount` of `asset` gone; refuses when equity for IM would fall below IM. */
async function checkInitialMargin(
  manager: EntityManager,
  accountId: string,
  asset: string,
  amount: Decimal,
  nowEpochMs: number,
): Promise<MarginCheck> {
  const request = await buildMarginRequest(manager, accountId, nowEpochMs, {
    holdingAdjustments: { [asset]: amount.negated() },
  });
  const receipt = computeMarginReceipt(request);
  const { equityForInitialMargin, initialMargin } = receipt.result;
  if (new Decimal(equityForInitialMargin).lessThan(initialMargin)) {
    throw new CollateralOperationError(
      'WITHDRAWAL_BREACHES_INITIAL_MARGIN',
      `after paying out ${amount.toFixed()} ${asset}, account ${accountId} would have ${equityForInitialMargin} ` +
        `${receipt.result.marginAsset} of equity for IM against IM ${initialMargin}`,
    );
  }
  const receiptId = await storeReceipt(manager, accountId, receipt);
  return { receiptId, equityForInitialMargin, initialMargin };
}

async function assertBalanceCovers(
  manager: EntityManager,
  accountId: string,
  asset: string,
  amount: Decimal,
): Promise<void> {
  const [row]: { balance: string }[] = await manager.query(
    `SELECT coalesce(sum(amount), 0)::text AS balance FROM posting WHERE account_id = $1 AND asset = $2`,
    [accountId, asset],
  );
  const balance = new Decimal(row?.balance ?? '0');
  if (balance.lessThan(amount)) {
    throw new CollateralOperationError(
      'INSUFFICIENT_BALANCE',
      `account ${accountId} holds ${balance.toFixed()} ${asset}, less than ${amount.toFixed()}`,
    );
  }
}

function assertCanPayOut(account: AccountEntity): void {
  if (account.marginState !== 'healthy') {
    throw new CollateralOperationError(
      'ACCOUNT_UNDER_MARGIN_CALL',
      `account ${account.id} is in state ${account.marginState}: no collateral leaves it`,
    );
  }
  if (account.status !== 'active') {
    throw new CollateralOperationError('ACCOUNT_NOT_ACTIVE', `account ${account.id} is ${account.status}`);
  }
}

function assertMemberAccount(account: AccountEntity | undefined, accountId: string): asserts account is AccountEntity {
  if (account === undefined) throw new CollateralOperationError('UNKNOWN_ACCOUNT', `no account ${accountId}`);
  if (account.kind === 'house' || account.memberFirmId === null) {
    throw new CollateralOperationError('NOT_A_MEMBER_ACCOUNT', `account ${accountId} is a house account`);
  }
}

async function custodyAccount(manager: EntityManager): Promise<AccountEntity> {
  const custody = await manager.findOneBy(AccountEntity, { houseRole: 'custody' });
  if (custody === null) throw new CollateralOperationError('NO_CUSTODY_ACCOUNT', 'no custody house account');
  return custody;
}

function checkIdempotencyKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > IDEMPOTENCY_KEY_LENGTH_MAX) {
    throw new CollateralOperationError(
      'INVALID_IDEMPOTENCY_KEY',
      `an idempotency key is a string of 1 to ${IDEMPOTENCY_KEY_LENGTH_MAX} characters`,
    );
  }
  return key;
}

function checkTime(nowEpochMs: unknown): void {
  try {
    assertEpochMs(nowEpochMs);
  } catch {
    throw new CollateralOperationError('INVALID_TIME', `not an epoch time in ms: ${String(nowEpochMs)}`);
  }
}

function checkAccountId(accountId: unknown): void {
  if (!isUuid(accountId)) throw new CollateralOperationError('UNKNOWN_ACCOUNT', `no account ${String(accountId)}`);
}

/** The asset row and the amount parsed at its scale: > 0, plain notation, no more decimals than the asset has. */
async function parseAssetAmount(
  manager: EntityManager,
  assetCode: unknown,
  amountText: unknown,
): Promise<{ asset: string; amount: Decimal }> {
  const asset =
    typeof assetCode === 'string' && assetCode.length > 0 && assetCode.length <= 16
      ? await manager.findOneBy(AssetEntity, { code: assetCode })
      : null;
  if (asset === null) throw new CollateralOperationError('UNKNOWN_ASSET', `no asset ${String(assetCode)}`);
  let amount: Decimal;
  try {
    amount = parseDecimal(amountText, { scaleMax: asset.scale });
  } catch (error) {
    if (error instanceof DecimalParseError) {
      throw new CollateralOperationError(
        'INVALID_AMOUNT',
        `${error.code}: ${JSON.stringify(String(amountText).slice(0, 40))} is not an amount of ${asset.code} (scale ${asset.scale})`,
      );
    }
    throw error;
  }
  if (!amount.isPositive() || amount.isZero()) {
    throw new CollateralOperationError('INVALID_AMOUNT', `amount must be > 0, got ${amount.toFixed()}`);
  }
  if (amount.greaterThanOrEqualTo(AMOUNT_LIMIT)) {
    throw new CollateralOperationError('INVALID_AMOUNT', `amount ${amount.toFixed()} is too large`);
  }
  return { asset: asset.code, amount };
}
