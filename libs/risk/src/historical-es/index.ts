export { HistoricalEsError } from './historical-es-error.js';
export type { HistoricalEsErrorCode } from './historical-es-error.js';
export {
  HISTORICAL_ES_BUFFER_FRACTION_MAX,
  HISTORICAL_ES_LIQUIDITY_ENTRY_COUNT_MAX,
  HISTORICAL_ES_LOOKBACK_DAYS_MAX,
  HISTORICAL_ES_MARGIN_PERIOD_OF_RISK_DAYS_MAX,
  assertValidHistoricalEsParameters,
} from './historical-es-parameters.js';
export type {
  HistoricalEsAntiProcyclicality,
  HistoricalEsFiltering,
  HistoricalEsHorizonMethod,
  HistoricalEsLiquidity,
  HistoricalEsMeasure,
  HistoricalEsParameters,
} from './historical-es-parameters.js';
export { HISTORICAL_ES_HISTORY_DAYS_MAX } from './scenario-returns.js';
export {
  HISTORICAL_ES_INSTRUMENT_COUNT_MAX,
  HISTORICAL_ES_MATRIX_CELL_COUNT_MAX,
  buildHistoricalEsArrays,
} from './historical-es-arrays.js';
export type { HistoricalEsArrays, HistoricalEsMarket, HistoricalEsScenarioSet } from './historical-es-arrays.js';
export { HISTORICAL_ES_POSITION_COUNT_MAX, historicalEsMargin, scenarioDescription } from './historical-es-margin.js';
export type {
  HistoricalEsBindingScenario,
  HistoricalEsMarginResult,
  HistoricalEsPosition,
  HistoricalEsPositionBreakdown,
} from './historical-es-margin.js';
export { historicalEsLiquidityAddOn } from './liquidity-add-on.js';
