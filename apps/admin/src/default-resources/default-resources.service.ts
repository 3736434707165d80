import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Decimal } from '@novation/money';
import {
  AccountEntity,
  AssetEntity,
  DefaultFundRequirementEntity,
  LedgerError,
  MemberFirmEntity,
  postJournalEntry,
  type HouseRole,
} from '@novation/persistence';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { AdminPrincipal } from '../auth/admin-role.js';
import { parseAmount } from '../reference/amounts.js';
import { pageOf, type PageInput } from '../reference/dto/page.input.js';
import { findMemberFirm } from '../reference/member-firms.service.js';
import { ReferenceDataException, fieldException } from '../reference/reference-data.exception.js';
import type {
  DefaultFundContributionInput,
  InsuranceFundTopUpInput,
  SetDefaultFundRequirementInput,
} from './dto/default-resources.input.js';
import type {
  AssetBalanceModel,
  DefaultFundRequirementModel,
  DefaultResourcesModel,
  FundModel,
  FundMovementModel,
  MemberContributionModel,
  MemberDefaultFundPageModel,
} from './models/default-resources.model.js';

/** Ledger idempotency keys are namespaced per endpoint, so a client key never meets another system's key. */
const INSURANCE_TOP_UP_KEY_PREFIX = 'admin:insurance-fund-top-up:';
const CONTRIBUTION_KEY_PREFIX = 'admin:default-fund-contribution:';

/**
 * Insurance fund and default fund. Balances are sums of postings on the house accounts; a member's
 * default-fund contribution is the sum of the default-fund postings tagged with its firm in
 * default_fund_contribution (migration 1795750000000). Every top-up is one journal entry posted with
 * postJournalEntry under a client idempotency key, in one transaction with its tag and its audit row:
 * the same key and body return the original entry (replayed), another body with the key is refused
 * (IDEMPOTENCY_CONFLICT). Checks that depend on balances run after posting and only for a new entry, so
 * a replay is answered the same way even after the money it moved has moved on.
 */
@Injectable()
export class DefaultResourcesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async resources(): Promise<DefaultResourcesModel> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => ({
      insuranceFund: await fund(manager, 'insurance_fund'),
      defaultFund: await fund(manager, 'default_fund'),
      ccpCapital: await fund(manager, 'ccp_capital'),
    }));
  }

  async memberContributions(input: PageInput): Promise<MemberDefaultFundPageModel> {
    const { limit, offset } = pageOf(input);
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const [firms, total] = await manager.findAndCount(MemberFirmEntity, {
        order: { code: 'ASC' },
        take: limit,
        skip: offset,
      });
      const ids = firms.map((firm) => firm.id);
      const requirements = (await manager.query(
        `SELECT member_firm_id AS "memberFirmId", asset, required_amount::text AS amount
           FROM default_fund_requirement WHERE member_firm_id = ANY($1::uuid[])`,
        [ids],
      )) as { memberFirmId: string; asset: string; amount: string }[];
      const contributions = (await manager.query(
        `SELECT tag.member_firm_id AS "memberFirmId", posting.asset, sum(posting.amount)::text AS amount
           FROM default_fund_contribution tag JOIN posting ON posting.id = tag.posting_id
          WHERE tag.member_firm_id = ANY($1::uuid[])
          GROUP BY tag.member_firm_id, posting.asset`,
        [ids],
      )) as { memberFirmId: string; asset: string; amount: string }[];
      const items = firms.map((firm) => {
        const required = amountsOf(requirements, firm.id);
        const contributed = amountsOf(contributions, firm.id);
        const assets = [...new Set([...required.keys(), ...contributed.keys()])].sort();
        return {
          memberFirmId: firm.id,
          memberFirmCode: firm.code,
          memberFirmStatus: firm.status,
          assets: assets.map((asset) => contributionOf(asset, required.get(asset), contributed.get(asset))),
        };
      });
      return { items, total, limit, offset };
    });
  }

  async setRequirement(
    actor: AdminPrincipal,
    memberFirmId: string,
    input: SetDefaultFundRequirementInput,
  ): Promise<DefaultFundRequirementModel> {
    return this.dataSource.transaction(async (manager) => {
      const firm = await findMemberFirm(manager, memberFirmId, true);
      const asset = await findAsset(manager, input.asset);
      const amount = parseAmount(input.requiredAmount, 'requiredAmount', { scaleMax: asset.scale, zeroAllowed: true });
      const before = await manager.findOneBy(DefaultFundRequirementEntity, { memberFirmId, asset: asset.code });
      await manager.upsert(
        DefaultFundRequirementEntity,
        { memberFirmId, asset: asset.code, requiredAmount: amount, updatedAt: new Date() },
        { conflictPaths: ['memberFirmId', 'asset'] },
      );
      const row = await manager.findOneByOrFail(DefaultFundRequirementEntity, { memberFirmId, asset: asset.code });
      await this.audit.record(
        {
          actor: actor.subject,
          action: 'default-fund.requirement-set',
          subjectType: 'member_firm',
          subjectId: memberFirmId,
          details: {
            memberFirmCode: firm.code,
            asset: asset.code,
            changes: { requiredAmount: { from: before?.requiredAmount.toFixed() ?? null, to: amount.toFixed() } },
          },
        },
        manager,
      );
      return {
        memberFirmId,
        asset: row.asset,
        requiredAmount: row.requiredAmount.toFixed(),
        updatedAt: row.updatedAt.toISOString(),
      };
    });
  }

  async topUpInsuranceFund(actor: AdminPrincipal, input: InsuranceFundTopUpInput): Promise<FundMovementModel> {
    return this.dataSource.transaction(async (manager) => {
      const asset = await findAsset(manager, input.asset);
      const amount = parseAmount(input.amount, 'amount', { scaleMax: asset.scale });
      const source = await lockHouseAccount(manager, input.source);
      const insuranceFund = await lockHouseAccount(manager, 'insurance_fund');
      const idempotencyKey = `${INSURANCE_TOP_UP_KEY_PREFIX}${input.idempotencyKey}`;
      const posted = await post(manager, {
        idempotencyKey,
        kind: 'insurance_fund.top_up',
        description: `insurance fund top-up of ${amount.toFixed()} ${asset.code} from ${input.source}`,
        postings: [
          { accountId: insuranceFund.id, asset: asset.code, amount },
          { accountId: source.id, asset: asset.code, amount: amount.negated() },
        ],
      });
      const movement: FundMovementModel = {
        idempotencyKey: input.idempotencyKey,
        journalEntryId: posted.journalEntryId,
        replayed: !posted.created,
        asset: asset.code,
        amount: amount.toFixed(),
        source: input.source,
        destination: 'insurance_fund',
        memberFirmId: null,
      };
      if (!posted.created) return movement;
      if (input.source === 'ccp_capital') {
        // Custody is the outside world (its balance is negative by design); capital is money we hold.
        const remaining = await balanceOf(manager, source.id, asset.code);
        if (remaining.isNegative()) {
          throw new ReferenceDataException(
            'INSUFFICIENT_FUNDS',
            `ccp capital holds ${remaining.plus(amount).toFixed()} ${asset.code}, less than ${amount.toFixed()}`,
          );
        }
      }
      await this.audit.record(
        {
          actor: actor.subject,
          action: 'insurance-fund.topped-up',
          subjectType: 'account',
          subjectId: insuranceFund.id,
          details: { request: { ...input }, journalEntryId: posted.journalEntryId },
        },
        manager,
      );
      return movement;
    });
  }

  async contributeToDefaultFund(
    actor: AdminPrincipal,
    input: DefaultFundContributionInput,
  ): Promise<FundMovementModel> {
    return this.dataSource.transaction(async (manager) => {
      const asset = await findAsset(manager, input.asset);
      const amount = parseAmount(input.amount, 'amount', { scaleMax: asset.scale });
      const firm = await findMemberFirm(manager, input.memberFirmId, true);
      const custody = await lockHouseAccount(manager, 'custody');
      const defaultFund = await lockHouseAccount(manager, 'default_fund');
      const posted = await post(manager, {
        idempotencyKey: `${CONTRIBUTION_KEY_PREFIX}${input.idempotencyKey}`,
        kind: 'default_fund.contribution',
        // The firm is in the description, so the payload hash (and the conflict check) covers it.
        description: `default fund contribution of ${amount.toFixed()} ${asset.code} by member firm ${firm.id}`,
        postings: [
          { accountId: defaultFund.id, asset: asset.code, amount },
          { accountId: custody.id, asset: asset.code, amount: amount.negated() },
        ],
      });
      const movement: FundMovementModel = {
        idempotencyKey: input.idempotencyKey,
        journalEntryId: posted.journalEntryId,
        replayed: !posted.created,
        asset: asset.code,
        amount: amount.toFixed(),
        source: 'custody',
        destination: 'default_fund',
        memberFirmId: firm.id,
      };
      if (!posted.created) return movement;
      if (firm.status === 'defaulted') {
        throw new ReferenceDataException('MEMBER_FIRM_NOT_ACTIVE', `${firm.code} is in default`);
      }
      await manager.query(
        `INSERT INTO default_fund_contribution (posting_id, member_firm_id)
         SELECT id, $3 FROM posting WHERE journal_entry_id = $1 AND account_id = $2`,
        [posted.journalEntryId, defaultFund.id, firm.id],
      );
      await this.audit.record(
        {
          actor: actor.subject,
          action: 'default-fund.contributed',
          subjectType: 'member_firm',
          subjectId: firm.id,
          details: { memberFirmCode: firm.code, request: { ...input }, journalEntryId: posted.journalEntryId },
        },
        manager,
      );
      return movement;
    });
  }
}

async function post(
  manager: EntityManager,
  draft: Parameters<typeof postJournalEntry>[1],
): Promise<{ journalEntryId: string; created: boolean }> {
  try {
    return await postJournalEntry(manager, draft);
  } catch (error) {
    if (error instanceof LedgerError && error.code === 'IDEMPOTENCY_KEY_REUSED') {
      throw fieldException('IDEMPOTENCY_CONFLICT', 'idempotencyKey', 'was used for a different request');
    }
    throw error;
  }
}

async function findAsset(manager: EntityManager, code: string): Promise<AssetEntity> {
  const asset = await manager.findOneBy(AssetEntity, { code });
  if (asset === null) throw fieldException('ASSET_NOT_FOUND', 'asset', `names no asset (${code})`);
  return asset;
}

async function houseAccount(manager: EntityManager, houseRole: HouseRole, lock: boolean): Promise<AccountEntity> {
  const account = await manager.findOne(AccountEntity, {
    where: { houseRole },
    ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
  });
  if (account === null) throw new ReferenceDataException('HOUSE_ACCOUNT_MISSING', `no ${houseRole} house account`);
  return account;
}

/** Locks the house account row: top-ups from one source serialise, so the balance check sees every one. */
function lockHouseAccount(manager: EntityManager, houseRole: HouseRole): Promise<AccountEntity> {
  return houseAccount(manager, houseRole, true);
}

async function fund(manager: EntityManager, houseRole: HouseRole): Promise<FundModel> {
  const account = await houseAccount(manager, houseRole, false);
  const rows = (await manager.query(
    `SELECT asset, sum(amount)::text AS balance FROM posting WHERE account_id = $1 GROUP BY asset ORDER BY asset`,
    [account.id],
  )) as { asset: string; balance: string }[];
  const balances: AssetBalanceModel[] = rows.map((row) => ({
    asset: row.asset,
    balance: new Decimal(row.balance).toFixed(),
  }));
  return { accountId: account.id, balances };
}

async function balanceOf(manager: EntityManager, accountId: string, asset: string): Promise<Decimal> {
  const [row] = (await manager.query(
    `SELECT coalesce(sum(amount), 0)::text AS balance FROM posting WHERE account_id = $1 AND asset = $2`,
    [accountId, asset],
  )) as { balance: string }[];
  return new Decimal(row?.balance ?? '0');
}

function amountsOf(
  rows: readonly { memberFirmId: string; asset: string; amount: string }[],
  memberFirmId: string,
): Map<string, Decimal> {
  return new Map(
    rows.filter((row) => row.memberFirmId === memberFirmId).map((row) => [row.asset, new Decimal(row.amount)]),
  );
}

function contributionOf(
  asset: string,
  required: Decimal | undefined,
  contributed: Decimal | undefined,
): MemberContributionModel {
  const requiredAmount = required ?? new Decimal(0);
  const contributedAmount = contributed ?? new Decimal(0);
  return {
    asset,
    requiredAmount: requiredAmount.toFixed(),
    contributedAmount: contributedAmount.toFixed(),
    shortfall: Decimal.max(0, requiredAmount.minus(contributedAmount)).toFixed(),
  };
}
