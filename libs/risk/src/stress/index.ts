export { runStressTest } from './run-stress-test.js';
export { StressTestError } from './stress-test-error.js';
export type { StressTestErrorCode } from './stress-test-error.js';
export {
  STRESS_ACCOUNT_COUNT_MAX,
  STRESS_ACCOUNT_POSITION_COUNT_MAX,
  STRESS_INSTRUMENT_COUNT_MAX,
  STRESS_MEMBER_RESULT_COUNT_MAX,
  STRESS_POSITION_COUNT_MAX,
  STRESS_SCENARIO_COUNT_MAX,
} from './stress-test-limits.js';
export type {
  AccountWorstScenario,
  DefaultResources,
  MemberStressResult,
  ScenarioStressResult,
  StressAccount,
  StressPosition,
  StressScenario,
  StressTestInput,
  StressTestResult,
} from './stress-test-types.js';
