/** Scenarios per run; bounds work (positions x scenarios). */
export const STRESS_SCENARIO_COUNT_MAX = 1_000;
export const STRESS_ACCOUNT_COUNT_MAX = 1_000_000;
export const STRESS_ACCOUNT_POSITION_COUNT_MAX = 10_000;
/** Positions over all accounts; bounds the flattened book in memory. */
export const STRESS_POSITION_COUNT_MAX = 10_000_000;
export const STRESS_INSTRUMENT_COUNT_MAX = 100_000;
/** Member results over all scenarios (members x scenarios); bounds the size of the report. */
export const STRESS_MEMBER_RESULT_COUNT_MAX = 10_000_000;
