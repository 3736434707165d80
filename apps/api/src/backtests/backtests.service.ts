import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AccountEntity, BacktestReportEntity, isUuid } from '@novation/persistence';
import { DataSource, Not } from 'typeorm';
import { AccountsException } from '../accounts/accounts.exception.js';
import type { Principal } from '../auth/principal.js';
import { InputException } from '../common/input.exception.js';
import { toPage, type Page } from '../common/pagination/connection.model.js';
import { decodeCursor, encodeCursor } from '../common/pagination/cursor.js';
import type { PageRequest } from '../common/pagination/pagination.args.js';
import type { BacktestResult } from './models/backtest-result.model.js';

const BACKTEST_CURSOR_KIND = 'backtest';
/** Newest business date first; the cursor is `<businessDate>|<id>`. */
const BACKTEST_KEY = /^(\d{4}-\d{2}-\d{2})\|([0-9]{1,19})$/;

export interface BacktestFilter {
  readonly accountId: string;
  readonly from: string | null;
  readonly to: string | null;
}

/**
 * Stored backtests of the caller's own accounts. Tenancy is decided once, here: an account of another
 * firm, a house account, a malformed id and a missing one all give the same empty page.
 */
@Injectable()
export class BacktestsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async backtestResults(
    principal: Principal,
    filter: BacktestFilter,
    page: PageRequest,
  ): Promise<Page<BacktestResult>> {
    if (principal.memberFirmId === null) {
      throw new AccountsException('NOT_A_MEMBER_FIRM_KEY', 'this API key belongs to no member firm');
    }
    assertDate(filter.from, 'from');
    assertDate(filter.to, 'to');
    if (filter.from !== null && filter.to !== null && filter.from > filter.to) {
      throw new InputException('BAD_USER_INPUT', 'from must not be after to', 'from');
    }
    const after =
      page.after === null ? null : BACKTEST_KEY.exec(decodeCursor(BACKTEST_CURSOR_KIND, page.after, BACKTEST_KEY));
    const accountId = filter.accountId.toLowerCase();
    const owned =
      isUuid(accountId) &&
      (await this.dataSource.manager.existsBy(AccountEntity, {
        id: accountId,
        memberFirmId: principal.memberFirmId,
        kind: Not('house'),
      }));
    if (!owned)
      return toPage(
        [],
        page.first,
        () => '',
        (row: BacktestResult) => row,
      );
    const query = this.dataSource.manager
      .createQueryBuilder(BacktestReportEntity, 'report')
      .where('report.account_id = :accountId', { accountId })
      // The firm again: the row's own member column, so a report never crosses firms even if ids did.
      .andWhere('report.member_firm_id = :memberFirmId', { memberFirmId: principal.memberFirmId })
      .orderBy('report.business_date', 'DESC')
      .addOrderBy('report.id', 'DESC')
      .limit(page.first + 1);
    if (filter.from !== null) query.andWhere('report.business_date >= :from', { from: filter.from });
    if (filter.to !== null) query.andWhere('report.business_date <= :to', { to: filter.to });
    if (after !== null) {
      query.andWhere('(report.business_date, report.id) < (:afterDate::date, :afterId::bigint)', {
        afterDate: after[1],
        afterId: after[2],
      });
    }
    const rows = await query.getMany();
    return toPage(
      rows,
      page.first,
      (row) => encodeCursor(BACKTEST_CURSOR_KIND, `${row.businessDate}|${row.id}`),
      (row) => ({
        id: row.id,
        accountId: row.accountId,
        businessDate: row.businessDate,
        product: row.product,
        marginAsset: row.marginAsset,
        lookbackDays: row.lookbackDays,
        confidence: row.confidence,
        observationCount: row.observationCount,
        exceptionCount: row.exceptionCount,
        coverageRatio: row.coverageRatio,
        kupiecLikelihoodRatio: row.kupiecLikelihoodRatio,
        kupiecPValue: row.kupiecPValue,
        christoffersenIndependencePValue: row.christoffersenIndependencePValue,
        christoffersenConditionalCoveragePValue: row.christoffersenConditionalCoveragePValue,
        trafficLight: row.trafficLight,
        createdAt: row.createdAt,
      }),
    );
  }
}

/** A real calendar date (the pattern alone lets 2026-02-30 through, which PostgreSQL would refuse). */
function assertDate(value: string | null, field: string): void {
  if (value === null) return;
  const parsed = Date.parse(`${value}T00:00:00Z`);
  if (!Number.isFinite(parsed) || new Date(parsed).toISOString().slice(0, 10) !== value) {
    throw new InputException('BAD_USER_INPUT', `${field} must be a calendar date YYYY-MM-DD`, field);
  }
}
