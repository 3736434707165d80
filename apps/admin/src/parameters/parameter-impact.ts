import { Decimal } from '@novation/money';
import {
  AccountEntity,
  MarginServiceError,
  MemberFirmEntity,
  buildMarginRequest,
  type ActiveParameterSet,
} from '@novation/persistence';
import { MarginError, computeMargin } from '@novation/risk';
import { In, type EntityManager } from 'typeorm';
import type {
  AccountImpactModel,
  MemberFirmImpactModel,
  ParameterSetImpactModel,
} from './models/parameter-set-impact.model.js';

export interface ImpactPageRequest {
  readonly draft: ActiveParameterSet;
  readonly active: ActiveParameterSet;
  readonly nowEpochMs: number;
  readonly limit: number;
  readonly cursor: string | undefined;
}

/**
 * IM and MM of one page of member accounts (by id, after `cursor`) under the set in effect and under
 * `draft`, at the same valuation time and on the same database snapshot (run it in one REPEATABLE READ
 * transaction). An account that cannot be margined (missing market data, say) is listed with its error,
 * so one bad account does not hide the others.
 */
export async function impactPage(manager: EntityManager, request: ImpactPageRequest): Promise<ParameterSetImpactModel> {
  const query = manager
    .createQueryBuilder(AccountEntity, 'account')
    .where(`account.kind <> 'house'`)
    .andWhere('account.member_firm_id IS NOT NULL')
    .orderBy('account.id', 'ASC')
    .limit(request.limit + 1);
  if (request.cursor !== undefined) query.andWhere('account.id > :cursor', { cursor: request.cursor });
  const rows = await query.getMany();
  const page = rows.slice(0, request.limit);
  const firmIds = [...new Set(page.map((account) => account.memberFirmId as string))];
  const firms = firmIds.length === 0 ? [] : await manager.findBy(MemberFirmEntity, { id: In(firmIds) });
  const firmCodes = new Map(firms.map((firm) => [firm.id, firm.code]));
  const accounts: AccountImpactModel[] = [];
  for (const account of page) {
    accounts.push(await accountImpact(manager, account, firmCodes.get(account.memberFirmId as string) ?? '', request));
  }
  accounts.sort((a, b) => absoluteChange(b).comparedTo(absoluteChange(a)) || compareText(a.accountId, b.accountId));
  return {
    version: request.draft.version,
    activeVersion: request.active.version,
    valuationEpochMs: request.nowEpochMs,
    accounts,
    memberFirms: aggregateByFirm(accounts),
    nextCursor: rows.length > request.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

async function accountImpact(
  manager: EntityManager,
  account: AccountEntity,
  memberFirmCode: string,
  request: ImpactPageRequest,
): Promise<AccountImpactModel> {
  const identity = {
    accountId: account.id,
    accountCode: account.code,
    memberFirmId: account.memberFirmId as string,
    memberFirmCode,
    kind: account.kind,
    marginAsset: account.settlementAsset,
  };
  try {
    const current = computeMargin(
      await buildMarginRequest(manager, account.id, request.nowEpochMs, { parameterSet: request.active }),
    );
    const proposed = computeMargin(
      await buildMarginRequest(manager, account.id, request.nowEpochMs, { parameterSet: request.draft }),
    );
    return {
      ...identity,
      current: { initialMargin: current.initialMargin, maintenanceMargin: current.maintenanceMargin },
      proposed: { initialMargin: proposed.initialMargin, maintenanceMargin: proposed.maintenanceMargin },
      initialMarginChange: new Decimal(proposed.initialMargin).minus(current.initialMargin).toFixed(),
      maintenanceMarginChange: new Decimal(proposed.maintenanceMargin).minus(current.maintenanceMargin).toFixed(),
    };
  } catch (error) {
    if (error instanceof MarginServiceError || error instanceof MarginError) {
      return { ...identity, error: { code: error.code, message: error.message } };
    }
    throw error;
  }
}

/** Sums per member firm and margin asset (amounts in different assets are never added). */
function aggregateByFirm(accounts: readonly AccountImpactModel[]): MemberFirmImpactModel[] {
  const totals = new Map<string, MemberFirmImpactModel>();
  for (const account of accounts) {
    if (account.current === undefined || account.proposed === undefined) continue;
    const key = `${account.memberFirmId}/${account.marginAsset}`;
    const total = totals.get(key) ?? {
      memberFirmId: account.memberFirmId,
      memberFirmCode: account.memberFirmCode,
      marginAsset: account.marginAsset,
      current: { initialMargin: '0', maintenanceMargin: '0' },
      proposed: { initialMargin: '0', maintenanceMargin: '0' },
      initialMarginChange: '0',
      maintenanceMarginChange: '0',
      accounts: 0,
    };
    const add = (a: string, b: string | undefined): string => new Decimal(a).plus(b ?? '0').toFixed();
    totals.set(key, {
      ...total,
      current: {
        initialMargin: add(total.current.initialMargin, account.current.initialMargin),
        maintenanceMargin: add(total.current.maintenanceMargin, account.current.maintenanceMargin),
      },
      proposed: {
        initialMargin: add(total.proposed.initialMargin, account.proposed.initialMargin),
        maintenanceMargin: add(total.proposed.maintenanceMargin, account.proposed.maintenanceMargin),
      },
      initialMarginChange: add(total.initialMarginChange, account.initialMarginChange),
      maintenanceMarginChange: add(total.maintenanceMarginChange, account.maintenanceMarginChange),
      accounts: total.accounts + 1,
    });
  }
  return [...totals.values()].sort(
    (a, b) =>
      absoluteChange(b).comparedTo(absoluteChange(a)) ||
      compareText(a.memberFirmCode, b.memberFirmCode) ||
      compareText(a.marginAsset, b.marginAsset),
  );
}

function absoluteChange(impact: { readonly initialMarginChange?: string }): Decimal {
  return new Decimal(impact.initialMarginChange ?? '0').abs();
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
