export { BACKTEST_ACCOUNT_PRODUCT, BacktestReportEntity } from './backtest-report.entity.js';
export type { BacktestObservation, BacktestTrafficLight } from './backtest-report.entity.js';
export {
  BACKTEST_ACCOUNT_COUNT_MAX,
  BACKTEST_CONFIDENCE_DEFAULT,
  BACKTEST_CONFIDENCE_MAX,
  BACKTEST_CONFIDENCE_MIN,
  BACKTEST_LOOKBACK_DAYS_DEFAULT,
  BACKTEST_LOOKBACK_DAYS_MAX,
  assertBacktestRunInput,
  runBacktestReports,
  computeBacktestReports,
  shiftDay,
  storeBacktestReports,
} from './backtest-report.js';
export type {
  BacktestReportDraft,
  BacktestRunInput,
  BacktestRunSummary,
  BacktestStoreOutcome,
  StoredBacktestReport,
} from './backtest-report.js';
export {
  DEFAULT_STRESS_SHOCKS,
  STRESS_REPORT_ACCOUNT_COUNT_MAX,
  STRESS_REPORT_VOLATILITY_FLOOR,
  runStressReport,
} from './stress-report.js';
export type { StressReport, StressReportMember, StressReportScenario, StressShockDefinition } from './stress-report.js';
export { FAILED_OUTBOX_PAGE_SIZE_MAX, failedOutboxEvents } from './failed-outbox-events.js';
export { ReportError } from './report-error.js';
export type { ReportErrorCode } from './report-error.js';
