import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  CollateralOperationError,
  recordDeposit,
  requestWithdrawal,
  transferCollateral,
  type DepositOutcome,
  type TransferOutcome,
  type WithdrawalOutcome,
} from '@novation/persistence';
import { DataSource } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { CollateralException } from './collateral.exception.js';
import type { RecordDepositInput, RequestWithdrawalInput, TransferCollateralInput } from './dto/collateral.input.js';
import { memberFirmOf, ownedAccountId } from './owned-account.js';

/**
 * Money-moving mutations over the collateral operations of @novation/persistence. Tenancy first: a
 * member's account ids are checked against its firm before anything else is looked at. Idempotency keys
 * are namespaced per caller in the ledger (`api:member:<firm>:<key>`, `api:custody:<key>`).
 */
@Injectable()
export class CollateralService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async recordDeposit(input: RecordDepositInput): Promise<DepositOutcome> {
    return translate(
      () =>
        recordDeposit(this.dataSource, {
          accountId: input.accountId,
          asset: input.asset,
          amount: input.amount.toFixed(),
          idempotencyKey: `api:custody:${input.idempotencyKey}`,
        }),
      'accountId',
    );
  }

  async requestWithdrawal(
    principal: Principal,
    input: RequestWithdrawalInput,
    nowEpochMs: number,
  ): Promise<WithdrawalOutcome> {
    const accountId = await ownedAccountId(this.dataSource.manager, principal, input.accountId, 'accountId');
    return translate(
      () =>
        requestWithdrawal(this.dataSource, {
          accountId,
          asset: input.asset,
          amount: input.amount.toFixed(),
          idempotencyKey: memberKey(principal, input.idempotencyKey),
          nowEpochMs,
        }),
      'accountId',
    );
  }

  async transferCollateral(
    principal: Principal,
    input: TransferCollateralInput,
    nowEpochMs: number,
  ): Promise<TransferOutcome> {
    const fromAccountId = await ownedAccountId(
      this.dataSource.manager,
      principal,
      input.fromAccountId,
      'fromAccountId',
    );
    const toAccountId = await ownedAccountId(this.dataSource.manager, principal, input.toAccountId, 'toAccountId');
    if (fromAccountId === toAccountId) {
      throw new CollateralException('SAME_ACCOUNT', 'a transfer needs two different accounts', 'toAccountId');
    }
    return translate(
      () =>
        transferCollateral(this.dataSource, {
          fromAccountId,
          toAccountId,
          asset: input.asset,
          amount: input.amount.toFixed(),
          idempotencyKey: memberKey(principal, input.idempotencyKey),
          nowEpochMs,
        }),
      'fromAccountId',
    );
  }
}

function memberKey(principal: Principal, idempotencyKey: string): string {
  return `api:member:${memberFirmOf(principal)}:${idempotencyKey}`;
}

/** Runs a collateral operation, turning its refusals into API errors; server faults pass through. */
async function translate<T>(operation: () => Promise<T>, accountField: string): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (!(error instanceof CollateralOperationError)) throw error;
    const message = error.message.replace(/^[A-Z_]+: /, '');
    const refusal = (code: CollateralException['code'], field?: string): CollateralException =>
      new CollateralException(code, message, field);
    switch (error.code) {
      case 'UNKNOWN_ACCOUNT':
      case 'NOT_A_MEMBER_ACCOUNT':
        throw refusal('ACCOUNT_NOT_FOUND', accountField);
      case 'INVALID_AMOUNT':
        throw refusal('INVALID_AMOUNT', 'amount');
      case 'UNKNOWN_ASSET':
        throw refusal('UNKNOWN_ASSET', 'asset');
      case 'SAME_ACCOUNT':
        throw refusal('SAME_ACCOUNT', 'toAccountId');
      case 'ACCOUNT_NOT_ACTIVE':
        throw refusal('ACCOUNT_NOT_ACTIVE');
      case 'ACCOUNT_UNDER_MARGIN_CALL':
        throw refusal('ACCOUNT_UNDER_MARGIN_CALL', accountField);
      case 'INSUFFICIENT_BALANCE':
        throw refusal('INSUFFICIENT_BALANCE', 'amount');
      case 'WITHDRAWAL_BREACHES_INITIAL_MARGIN':
        throw refusal('INITIAL_MARGIN_BREACH', 'amount');
      case 'IDEMPOTENCY_KEY_REUSED':
        throw refusal('IDEMPOTENCY_KEY_REUSED', 'idempotencyKey');
      // Checked by this API before the call (key format, the clock, the firm of both accounts) or a
      // missing custody house account: server faults, reported as INTERNAL.
      case 'INVALID_TIME':
      case 'INVALID_IDEMPOTENCY_KEY':
      case 'DIFFERENT_MEMBERS':
      case 'NO_CUSTODY_ACCOUNT':
        throw error;
    }
  }
}
