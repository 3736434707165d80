export { VAR_OBSERVATION_COUNT_MAX } from './var-preconditions.js';
export {
  historicalExpectedShortfall,
  historicalRiskMeasures,
  historicalTailCount,
  historicalValueAtRisk,
} from './historical-var.js';
export type { HistoricalRiskMeasures } from './historical-var.js';
export { CORRELATION_MATRIX_SIZE_MAX, assertCorrelationMatrix } from './correlation-matrix.js';
export { parametricVarZScore, portfolioNormalValueAtRisk, singleAssetNormalValueAtRisk } from './parametric-var.js';
export type { PortfolioNormalVar, PortfolioNormalVarInput, SingleAssetNormalVarInput } from './parametric-var.js';
export { historicalScenarioLevels, historicalScenarioValuation } from './historical-scenarios.js';
export type { HistoricalScenarioInput, HistoricalScenarioValuation } from './historical-scenarios.js';
export { ewmaVolatility } from './ewma-volatility.js';
export type { EwmaVolatility, EwmaVolatilityInput } from './ewma-volatility.js';
export { ewmaFilteredHistoricalReturns, filteredHistoricalReturns } from './filtered-historical-simulation.js';
export { overlappingHorizonReturns, squareRootOfTimeScaled } from './margin-period-of-risk.js';
