import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  AccountEntity,
  AssetEntity,
  InstrumentEntity,
  MemberFirmEntity,
  type AccountStatus,
  type MemberFirmStatus,
} from '@novation/persistence';
import { IsNull, Not, type DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { AdminPrincipal } from '../auth/admin-role.js';
import { isUniqueViolation } from './database-errors.js';
import type { ListMemberFirmsInput, OnboardMemberFirmInput, OpenAccountInput } from './dto/member-firm.input.js';
import { pageOf, type PageInput } from './dto/page.input.js';
import type {
  AccountModel,
  AccountPageModel,
  MemberFirmModel,
  MemberFirmPageModel,
  MemberFirmStatusChangeModel,
} from './models/member-firm.model.js';
import { ReferenceDataException, fieldException } from './reference-data.exception.js';

const SUBJECT_TYPE = 'member_firm';

interface StatusChange {
  readonly action: string;
  readonly from: readonly MemberFirmStatus[];
  readonly to: MemberFirmStatus;
  /** Accounts in status `accountsFrom` move to `accountsTo`. */
  readonly accountsFrom: AccountStatus;
  readonly accountsTo: AccountStatus;
}

/**
 * Member firms and their accounts. What stops new risk is the account status: trade novation refuses any
 * account that is not 'active' (ACCOUNT_NOT_ALLOWED), withdrawals and transfers out refuse it
 * (ACCOUNT_NOT_ACTIVE), deposits are still taken. So suspending a firm or declaring its default freezes
 * every active account of the firm in the same transaction, and reactivating thaws the frozen ones.
 * A default is final here (no reactivation): its positions belong to the default management process.
 */
const SUSPEND: StatusChange = {
  action: 'member-firm.suspended',
  from: ['active'],
  to: 'suspended',
  accountsFrom: 'active',
  accountsTo: 'frozen',
};
const REACTIVATE: StatusChange = {
  action: 'member-firm.reactivated',
  from: ['suspended'],
  to: 'active',
  accountsFrom: 'frozen',
  accountsTo: 'active',
};
const DECLARE_DEFAULT: StatusChange = {
  action: 'member-firm.default-declared',
  from: ['active', 'suspended'],
  to: 'defaulted',
  accountsFrom: 'active',
  accountsTo: 'frozen',
};

@Injectable()
export class MemberFirmsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(input: ListMemberFirmsInput): Promise<MemberFirmPageModel> {
    const { limit, offset } = pageOf(input);
    const [rows, total] = await this.dataSource.manager.findAndCount(MemberFirmEntity, {
      where: input.status === undefined ? {} : { status: input.status },
      order: { code: 'ASC' },
      take: limit,
      skip: offset,
    });
    return { items: rows.map(toMemberFirmModel), total, limit, offset };
  }

  async get(id: string): Promise<MemberFirmModel> {
    return toMemberFirmModel(await findMemberFirm(this.dataSource.manager, id, false));
  }

  async onboard(actor: AdminPrincipal, input: OnboardMemberFirmInput): Promise<MemberFirmModel> {
    return this.dataSource.transaction(async (manager) => {
      if (await manager.existsBy(MemberFirmEntity, { code: input.code })) {
        throw fieldException('ALREADY_EXISTS', 'code', `member firm ${input.code} exists`);
      }
      let id: string;
      try {
        const inserted = await manager.insert(MemberFirmEntity, {
          code: input.code,
          name: input.name,
          status: 'active',
        });
        id = String(inserted.identifiers[0]?.['id']);
      } catch (error) {
        if (isUniqueViolation(error))
          throw fieldException('ALREADY_EXISTS', 'code', `member firm ${input.code} exists`);
        throw error;
      }
      const model = toMemberFirmModel(await manager.findOneByOrFail(MemberFirmEntity, { id }));
      await this.audit.record(
        {
          actor: actor.subject,
          action: 'member-firm.onboarded',
          subjectType: SUBJECT_TYPE,
          subjectId: id,
          details: { request: { ...input }, memberFirm: { ...model } },
        },
        manager,
      );
      return model;
    });
  }

  async listAccounts(memberFirmId: string, input: PageInput): Promise<AccountPageModel> {
    await findMemberFirm(this.dataSource.manager, memberFirmId, false);
    const { limit, offset } = pageOf(input);
    const [rows, total] = await this.dataSource.manager.findAndCount(AccountEntity, {
      where: { memberFirmId, houseRole: IsNull(), kind: Not('house') },
      order: { code: 'ASC' },
      take: limit,
      skip: offset,
    });
    return { items: rows.map(toAccountModel), total, limit, offset };
  }

  async openAccount(actor: AdminPrincipal, memberFirmId: string, input: OpenAccountInput): Promise<AccountModel> {
    const isolated = input.kind === 'isolated';
    if (isolated !== (input.isolatedInstrumentId !== undefined)) {
      throw fieldException('INVALID_REQUEST', 'isolatedInstrumentId', 'is required exactly for isolated accounts');
    }
    return this.dataSource.transaction(async (manager) => {
      // The firm's row lock orders this against a concurrent suspension or default declaration.
      const firm = await findMemberFirm(manager, memberFirmId, true);
      if (firm.status !== 'active') {
        throw new ReferenceDataException('MEMBER_FIRM_NOT_ACTIVE', `${firm.code} is ${firm.status}`);
      }
      if (!(await manager.existsBy(AssetEntity, { code: input.settlementAsset }))) {
        throw fieldException('ASSET_NOT_FOUND', 'settlementAsset', `names no asset (${input.settlementAsset})`);
      }
      if (input.isolatedInstrumentId !== undefined) {
        const instrument = await manager.findOneBy(InstrumentEntity, { id: input.isolatedInstrumentId });
        if (instrument === null) {
          throw fieldException('INSTRUMENT_NOT_FOUND', 'isolatedInstrumentId', 'names no instrument');
        }
        if (instrument.settlementAsset !== input.settlementAsset) {
          throw fieldException(
            'INVALID_REQUEST',
            'settlementAsset',
            `must be the instrument's settlement asset (${instrument.settlementAsset})`,
          );
        }
      }
      if (await manager.existsBy(AccountEntity, { memberFirmId, code: input.code })) {
        throw fieldException('ALREADY_EXISTS', 'code', `${firm.code} has an account ${input.code}`);
      }
      const inserted = await manager.insert(AccountEntity, {
        memberFirmId,
        code: input.code,
        kind: input.kind,
        houseRole: null,
        settlementAsset: input.settlementAsset,
        isolatedInstrumentId: input.isolatedInstrumentId ?? null,
        status: 'active',
      });
      const id = String(inserted.identifiers[0]?.['id']);
      const model = toAccountModel(await manager.findOneByOrFail(AccountEntity, { id }));
      await this.audit.record(
        {
          actor: actor.subject,
          action: 'account.opened',
          subjectType: 'account',
          subjectId: id,
          details: { memberFirmCode: firm.code, request: { ...input }, account: { ...model } },
        },
        manager,
      );
      return model;
    });
  }

  suspend(actor: AdminPrincipal, id: string, reason: string): Promise<MemberFirmStatusChangeModel> {
    return this.changeStatus(actor, id, reason, SUSPEND);
  }

  reactivate(actor: AdminPrincipal, id: string, reason: string): Promise<MemberFirmStatusChangeModel> {
    return this.changeStatus(actor, id, reason, REACTIVATE);
  }

  declareDefault(actor: AdminPrincipal, id: string, reason: string): Promise<MemberFirmStatusChangeModel> {
    return this.changeStatus(actor, id, reason, DECLARE_DEFAULT);
  }

  private async changeStatus(
    actor: AdminPrincipal,
    id: string,
    reason: string,
    change: StatusChange,
  ): Promise<MemberFirmStatusChangeModel> {
    return this.dataSource.transaction(async (manager) => {
      const firm = await findMemberFirm(manager, id, true);
      if (!change.from.includes(firm.status)) {
        throw new ReferenceDataException(
          'INVALID_TRANSITION',
          `${firm.code} is ${firm.status}, expected ${change.from.join(' or ')}`,
        );
      }
      await manager.update(MemberFirmEntity, { id }, { status: change.to });
      // The UPDATE takes each account's row lock, the same lock trade novation and withdrawals hold.
      const [changed] = (await manager.query(
        `UPDATE account SET status = $3 WHERE member_firm_id = $1 AND status = $2 RETURNING id`,
        [id, change.accountsFrom, change.accountsTo],
      )) as [{ id: string }[], number];
      const accountIds = changed.map((row) => row.id).sort();
      await this.audit.record(
        {
          actor: actor.subject,
          action: change.action,
          subjectType: SUBJECT_TYPE,
          subjectId: id,
          details: {
            code: firm.code,
            reason,
            changes: { status: { from: firm.status, to: change.to } },
            accounts: { ids: accountIds, status: { from: change.accountsFrom, to: change.accountsTo } },
          },
        },
        manager,
      );
      return {
        memberFirm: toMemberFirmModel(await manager.findOneByOrFail(MemberFirmEntity, { id })),
        accountIds,
      };
    });
  }
}

export async function findMemberFirm(manager: EntityManager, id: string, lock: boolean): Promise<MemberFirmEntity> {
  const row = await manager.findOne(MemberFirmEntity, {
    where: { id },
    ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
  });
  if (row === null) throw new ReferenceDataException('MEMBER_FIRM_NOT_FOUND', `no member firm ${id}`);
  return row;
}

function toMemberFirmModel(row: MemberFirmEntity): MemberFirmModel {
  return { id: row.id, code: row.code, name: row.name, status: row.status, createdAt: row.createdAt.toISOString() };
}

function toAccountModel(row: AccountEntity): AccountModel {
  return {
    id: row.id,
    memberFirmId: row.memberFirmId ?? '',
    code: row.code,
    kind: row.kind,
    settlementAsset: row.settlementAsset,
    isolatedInstrumentId: row.isolatedInstrumentId,
    status: row.status,
    marginState: row.marginState,
    createdAt: row.createdAt.toISOString(),
  };
}
