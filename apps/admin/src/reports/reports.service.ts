import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  BacktestReportEntity,
  ReportError,
  runBacktestReports,
  failedOutboxEvents,
  runStressReport,
  type StressReport,
} from '@novation/persistence';
import type { Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { AdminPrincipal } from '../auth/admin-role.js';
import { QueueRegistry } from '../queues/queue-registry.js';
import type { ListBacktestsInput } from './dto/list-backtests.input.js';
import { REPORT_PAGE_SIZE_DEFAULT } from './dto/report-format.input.js';
import {
  BACKTEST_CONFIDENCE_DEFAULT,
  BACKTEST_LOOKBACK_DAYS_DEFAULT,
  type RunBacktestInput,
} from './dto/run-backtest.input.js';
import type {
  BacktestReportDetailModel,
  BacktestReportModel,
  BacktestRunModel,
} from './models/backtest-report.model.js';
import type { FailedJobModel, FailedOutboxEventModel } from './models/failed-job.model.js';
import { ReportException } from './report.exception.js';

/** Replaced rows listed in one audit record; the count is always complete. */
const AUDITED_REPLACEMENTS_MAX = 100;

export interface Page<T> {
  readonly items: T[];
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
}

@Injectable()
export class ReportsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly queues: QueueRegistry,
  ) {}

  /** Computes and stores a business date's backtests in one transaction, audited with its outcome counts. */
  async runBacktests(admin: AdminPrincipal, input: RunBacktestInput, nowEpochMs: number): Promise<BacktestRunModel> {
    const run = {
      businessDate: input.businessDate,
      lookbackDays: input.lookbackDays ?? BACKTEST_LOOKBACK_DAYS_DEFAULT,
      confidence: input.confidence ?? BACKTEST_CONFIDENCE_DEFAULT,
    };
    const replace = input.replace ?? false;
    return translated(() =>
      this.dataSource.transaction(async (manager) => {
        const summary = await runBacktestReports(manager, run, { replace, runBy: admin.subject, nowEpochMs });
        const { stored } = summary;
        const result: BacktestRunModel = {
          ...run,
          created: summary.created,
          unchanged: summary.unchanged,
          conflicts: summary.conflicts,
          replaced: summary.replaced,
          reports: stored.map((row) => ({ ...row })),
        };
        await this.audit.record(
          {
            actor: admin.subject,
            action: 'backtest-report.run',
            subjectType: 'backtest-report',
            subjectId: run.businessDate,
            details: {
              ...run,
              replace,
              created: result.created,
              unchanged: result.unchanged,
              conflicts: result.conflicts,
              replaced: result.replaced,
              replacements: stored
                .filter((row) => row.outcome === 'replaced')
                .slice(0, AUDITED_REPLACEMENTS_MAX)
                .map((row) => ({ id: row.id, previousInputsHash: row.previousInputsHash, inputsHash: row.inputsHash })),
            },
          },
          manager,
        );
        return result;
      }),
    );
  }

  async listBacktests(input: ListBacktestsInput, limit: number): Promise<Page<BacktestReportModel>> {
    const offset = input.offset ?? 0;
    const query = this.dataSource.manager
      .createQueryBuilder(BacktestReportEntity, 'report')
      .orderBy('report.business_date', 'DESC')
      .addOrderBy('report.account_id', 'ASC')
      .addOrderBy('report.product', 'ASC')
      .take(limit)
      .skip(offset);
    if (input.businessDate !== undefined) query.andWhere('report.business_date = :date', { date: input.businessDate });
    if (input.accountId !== undefined) query.andWhere('report.account_id = :account', { account: input.accountId });
    if (input.product !== undefined) query.andWhere('report.product = :product', { product: input.product });
    if (input.trafficLight !== undefined)
      query.andWhere('report.traffic_light = :light', { light: input.trafficLight });
    const [rows, total] = await query.getManyAndCount();
    return { items: rows.map(toBacktestModel), total, limit, offset };
  }

  async backtest(id: string): Promise<BacktestReportDetailModel> {
    const row = /^[0-9]{1,19}$/.test(id) ? await this.dataSource.manager.findOneBy(BacktestReportEntity, { id }) : null;
    if (row === null) throw new ReportException('REPORT_NOT_FOUND', `no backtest report ${id.slice(0, 32)}`);
    return { ...toBacktestModel(row), observations: row.observations };
  }

  stress(nowEpochMs: number): Promise<StressReport> {
    return translated(() => runStressReport(this.dataSource.manager, nowEpochMs));
  }

  async failedOutboxEvents(limit: number, offset: number): Promise<Page<FailedOutboxEventModel>> {
    const page = await failedOutboxEvents(this.dataSource.manager, { limit, offset });
    return {
      items: page.items.map((row) => ({
        id: row.id,
        kind: row.kind,
        dedupeKey: row.dedupeKey,
        attempts: row.attempts,
        lastError: row.lastError,
        createdAt: row.createdAt.toISOString(),
        payload: row.payload,
      })),
      total: page.total,
      limit,
      offset,
    };
  }

  /**
   * Failed BullMQ jobs of one queue or of every QueueName queue (enum order, each queue's failed set in
   * BullMQ's order), as one list paged by offset across the queues.
   */
  async failedJobs(
    queue: string | undefined,
    limit: number,
    offset: number,
  ): Promise<Page<FailedJobModel> & { queues: string[] }> {
    const names = queue === undefined ? this.queues.names() : [queue];
    const queues = names.map((name) => {
      const found = this.queues.get(name);
      if (found === undefined) {
        throw new ReportException('UNKNOWN_QUEUE', `no queue ${name}; queues: ${this.queues.names().join(', ')}`, [
          { field: 'queue', message: `must be one of ${this.queues.names().join(', ')}` },
        ]);
      }
      return found;
    });
    try {
      const counts = await Promise.all(queues.map((item) => item.getFailedCount()));
      const items: FailedJobModel[] = [];
      let skip = offset;
      for (const [index, item] of queues.entries()) {
        const count = counts[index] ?? 0;
        if (items.length >= limit) break;
        if (skip >= count) {
          skip -= count;
          continue;
        }
        const jobs: Job[] = await item.getFailed(skip, skip + (limit - items.length) - 1);
        skip = 0;
        items.push(...jobs.map((job) => toFailedJob(item.name, job)));
      }
      return { items, total: counts.reduce((sum, count) => sum + count, 0), limit, offset, queues: names };
    } catch (error) {
      throw new ReportException(
        'QUEUE_UNAVAILABLE',
        `could not read the queues: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

/** Runs `work`, turning the persistence lib's typed errors into report exceptions with the same code. */
async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ReportError) {
      throw new ReportException(
        error.code,
        error.message,
        error.field === undefined ? [] : [{ field: error.field, message: error.message }],
      );
    }
    throw error;
  }
}

export function defaultLimit(limit: number | undefined): number {
  return limit ?? REPORT_PAGE_SIZE_DEFAULT;
}

function toBacktestModel(row: BacktestReportEntity): BacktestReportModel {
  return {
    id: row.id,
    businessDate: row.businessDate,
    accountId: row.accountId,
    memberFirmId: row.memberFirmId,
    product: row.product,
    marginAsset: row.marginAsset,
    lookbackDays: row.lookbackDays,
    confidence: row.confidence,
    observationCount: row.observationCount,
    exceptionCount: row.exceptionCount,
    coverageRatio: row.coverageRatio,
    kupiecLikelihoodRatio: row.kupiecLikelihoodRatio,
    kupiecPValue: row.kupiecPValue,
    christoffersenIndependenceLikelihoodRatio: row.christoffersenIndependenceLikelihoodRatio,
    christoffersenIndependencePValue: row.christoffersenIndependencePValue,
    christoffersenConditionalCoverageLikelihoodRatio: row.christoffersenConditionalCoverageLikelihoodRatio,
    christoffersenConditionalCoveragePValue: row.christoffersenConditionalCoveragePValue,
    trafficLight: row.trafficLight,
    trafficLightCumulativeProbability: row.trafficLightCumulativeProbability,
    inputsHash: row.inputsHash,
    runBy: row.runBy,
    createdAt: row.createdAt.toISOString(),
    replacedAt: row.replacedAt === null ? null : row.replacedAt.toISOString(),
  };
}

function toFailedJob(queue: string, job: Job): FailedJobModel {
  return {
    queue,
    id: job.id ?? null,
    name: job.name,
    failedReason: job.failedReason === '' ? null : (job.failedReason ?? null),
    attemptsMade: job.attemptsMade,
    createdAt: new Date(job.timestamp).toISOString(),
    finishedAt: job.finishedOn === undefined ? null : new Date(job.finishedOn).toISOString(),
    data: job.data as unknown,
  };
}
