import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import {
  DAILY_BACKTEST_CRON,
  DAILY_BACKTEST_SCHEDULER_ID,
  QueueName,
  ReportJobName,
  dailyBacktestJobDataSchema,
  reportJobOptions,
  type DailyBacktestJobData,
  type DailyBacktestJobResult,
} from '@novation/jobs';
import {
  AuditLogEntity,
  BACKTEST_CONFIDENCE_DEFAULT,
  BACKTEST_LOOKBACK_DAYS_DEFAULT,
  runBacktestReports,
  shiftDay,
} from '@novation/persistence';
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import { DataSource } from 'typeorm';

/** Injection token: whether this worker upserts the schedule (tests drive the processor by hand). */
export const REPORT_SCHEDULES_ENABLED = Symbol('REPORT_SCHEDULES_ENABLED');

/** Who the daily run's reports and audit rows name. */
export const DAILY_BACKTEST_ACTOR = 'system:daily-backtest';

/** A backtest of 5,000 accounts x 250 days can take minutes: the lock outlives it with room to spare. */
const BACKTEST_JOB_LOCK_DURATION_MS = 15 * 60_000;

/**
 * The daily backtest (admin issue: "a daily backtest per account and per product"): a BullMQ job
 * scheduler fires at 00:15 UTC and this processor backtests the previous business date with the admin
 * service's defaults, in one transaction, audited. Idempotent: a re-run stores nothing new for unchanged
 * inputs, and a report whose inputs changed is kept as a conflict, never replaced by the schedule (only
 * a risk officer can replace one, through the admin service).
 */
@Processor(QueueName.Reports, { concurrency: 1, lockDuration: BACKTEST_JOB_LOCK_DURATION_MS })
export class DailyBacktestProcessor extends WorkerHost implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DailyBacktestProcessor.name);

  constructor(
    private readonly dataSource: DataSource,
    @InjectQueue(QueueName.Reports) private readonly queue: Queue<DailyBacktestJobData, DailyBacktestJobResult>,
    @Inject(REPORT_SCHEDULES_ENABLED) private readonly schedulesEnabled: boolean,
  ) {
    super();
  }

  /** Upserted at every start, so exactly one schedule exists however many workers run. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.schedulesEnabled) return;
    await this.queue.upsertJobScheduler(
      DAILY_BACKTEST_SCHEDULER_ID,
      { pattern: DAILY_BACKTEST_CRON, tz: 'UTC' },
      { name: ReportJobName.DailyBacktest, data: {}, opts: reportJobOptions },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker.close();
  }

  async process(job: Job<unknown, DailyBacktestJobResult>): Promise<DailyBacktestJobResult> {
    if (job.name !== ReportJobName.DailyBacktest) {
      throw new UnrecoverableError(`unknown job name ${JSON.stringify(job.name)} on queue ${QueueName.Reports}`);
    }
    const parsed = dailyBacktestJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid daily-backtest payload: ${parsed.error.message}`);
    // The scheduled job tests the business date before the day it fired on (job.timestamp is its slot).
    const businessDate = parsed.data.businessDate ?? shiftDay(new Date(job.timestamp).toISOString().slice(0, 10), -1);
    return this.run(businessDate, Date.now());
  }

  /** One business date's backtests, stored and audited in one transaction. */
  async run(businessDate: string, nowEpochMs: number): Promise<DailyBacktestJobResult> {
    const input = {
      businessDate,
      lookbackDays: BACKTEST_LOOKBACK_DAYS_DEFAULT,
      confidence: BACKTEST_CONFIDENCE_DEFAULT,
    };
    const summary = await this.dataSource.transaction(async (manager) => {
      const result = await runBacktestReports(manager, input, {
        replace: false,
        runBy: DAILY_BACKTEST_ACTOR,
        nowEpochMs,
      });
      await manager.insert(AuditLogEntity, {
        actor: DAILY_BACKTEST_ACTOR,
        action: 'backtest-report.run',
        subjectType: 'backtest-report',
        subjectId: businessDate,
        details: {
          ...input,
          replace: false,
          created: result.created,
          unchanged: result.unchanged,
          conflicts: result.conflicts,
        },
      });
      return result;
    });
    if (summary.conflicts > 0) {
      this.logger.warn(`${summary.conflicts} backtest report(s) of ${businessDate} changed inputs: kept, not replaced`);
    }
    return { businessDate, created: summary.created, unchanged: summary.unchanged, conflicts: summary.conflicts };
  }
}
