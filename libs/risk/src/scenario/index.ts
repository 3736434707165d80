export { ScenarioMarginError } from './scenario-margin-error.js';
export type { ScenarioMarginErrorCode } from './scenario-margin-error.js';
export {
  SCENARIO_COUNT_MAX,
  assertValidScenarioParameters,
  expandScenarios,
  volatilityShockScale,
} from './scenario-parameters.js';
export type {
  GroupOffset,
  Scenario,
  ScenarioMarginParameters,
  ShortOptionChargeBasis,
  TailScenario,
  VolatilityShockScaling,
} from './scenario-parameters.js';
export {
  DERIBIT_STYLE_EXAMPLE_PARAMETERS,
  SPAN_16_EXAMPLE_PARAMETERS,
  span16Parameters,
} from './example-parameters.js';
export { RISK_ARRAY_INSTRUMENT_COUNT_MAX, buildRiskArrays } from './risk-arrays.js';
export type { RiskArrays } from './risk-arrays.js';
export { contractValuer, underlyingNotional, underlyingPrice } from './contract-valuer.js';
export type { ContractValuationOptions, ContractValuer, ScenarioMarketSnapshot } from './contract-valuer.js';
export { ACCOUNT_POSITION_COUNT_MAX, portfolioScenarioMargin } from './portfolio-margin.js';
export type {
  BindingScenario,
  GroupMarginBreakdown,
  PositionMarginBreakdown,
  ScenarioMarginResult,
  ScenarioPosition,
} from './portfolio-margin.js';
export { BOOK_ACCOUNT_COUNT_MAX, bookScenarioMargin } from './book-margin.js';
export type { PositionBook } from './book-margin.js';
export { groupOffsetCredit } from './group-offsets.js';
export { scenarioMarginToDecimal, scenarioMarginToDecimalString, scenarioMarginToUnits } from './margin-to-decimal.js';
export { groupContingencies } from './contingency-charges.js';
export type { GroupContingencies, GroupHolding } from './contingency-charges.js';
