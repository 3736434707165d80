import { z } from 'zod';

export enum ReportJobName {
  /** Backtests every account and product for one business date (the daily run, or a re-run). */
  DailyBacktest = 'daily-backtest',
}

/** The job scheduler id of the daily backtest: upserted at every worker start, so exactly one exists. */
export const DAILY_BACKTEST_SCHEDULER_ID = 'daily-backtest';

/** 00:15 UTC: the previous business date's last marks and receipts are in by then. */
export const DAILY_BACKTEST_CRON = '15 0 * * *';

/** Attempts of one backtest job before BullMQ marks it failed (the admin's failed-jobs report shows it). */
export const REPORT_JOB_ATTEMPTS_MAX = 3;

/**
 * Data of a backtest job. The scheduled job carries none: it tests the business date before the day it
 * was scheduled for. A re-run names its date.
 */
export const dailyBacktestJobDataSchema = z
  .object({
    businessDate: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .optional(),
  })
  .strict();

export type DailyBacktestJobData = z.infer<typeof dailyBacktestJobDataSchema>;

export interface DailyBacktestJobResult {
  readonly businessDate: string;
  readonly created: number;
  readonly unchanged: number;
  /** Reports whose inputs changed since they were stored: kept, never replaced by the schedule. */
  readonly conflicts: number;
}

/** Options of every backtest job: explicit, never library defaults. */
export const reportJobOptions = {
  attempts: REPORT_JOB_ATTEMPTS_MAX,
  backoff: { type: 'exponential', delay: 60_000 },
  removeOnComplete: { age: 30 * 24 * 3_600, count: 1_000 },
  removeOnFail: { age: 90 * 24 * 3_600, count: 1_000 },
} as const;
