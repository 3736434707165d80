export { QueueName, SYSTEM_QUEUE_CONCURRENCY, SystemJobName, pingJobDataSchema, pingJobOptions } from './queues.js';
export type { PingJobData, PingJobResult } from './queues.js';
export {
  MARGIN_CHECK_ACCOUNTS_PER_JOB_MAX,
  MARGIN_CHECK_UNDERLYINGS_PER_JOB_MAX,
  marginCheckAccountRangeSchema,
  MARGIN_CHECK_ATTEMPTS_MAX,
  MARGIN_CHECK_BACKOFF_BASE_MS,
  MARGIN_QUEUE_CONCURRENCY,
  MarginJobName,
  marginCheckJobDataSchema,
  marginCheckJobOptions,
  marginCheckPayloadSchema,
  outboxJobId,
} from './margin.js';
export type {
  MarginCheckAccountRange,
  MarginCheckJobData,
  MarginCheckJobResult,
  MarginCheckPayload,
} from './margin.js';
export {
  LIQUIDATION_ATTEMPTS_MAX,
  LIQUIDATION_BACKOFF_BASE_MS,
  LIQUIDATION_CLAIM_DUE,
  LIQUIDATION_QUEUE_CONCURRENCY,
  LiquidationJobName,
  liquidationJobDataSchema,
  liquidationJobId,
  liquidationJobOptions,
  liquidationPayloadSchema,
} from './liquidation.js';
export type { LiquidationJobData, LiquidationJobResult, LiquidationPayload } from './liquidation.js';
export {
  DAILY_BACKTEST_CRON,
  DAILY_BACKTEST_SCHEDULER_ID,
  REPORT_JOB_ATTEMPTS_MAX,
  ReportJobName,
  dailyBacktestJobDataSchema,
  reportJobOptions,
} from './reports.js';
export type { DailyBacktestJobData, DailyBacktestJobResult } from './reports.js';
