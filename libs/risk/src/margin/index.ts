export { MarginError, asMarginError } from './margin-error.js';
export {
  MARGIN_BATCH_ACCOUNT_COUNT_MAX,
  MARGIN_MODELS,
  marginBatchSchema,
  MARGIN_REQUEST_LIMITS,
  collateralSchema,
  historicalEsModelSchema,
  instrumentSchema,
  marginParametersSchema,
  marginRequestSchema,
  marketSnapshotSchema,
  modelParametersKey,
  portfolioScenarioModelSchema,
  positionSchema,
  standardModelSchema,
} from './margin-request-schema.js';
export type {
  HistoricalEsModelParameters,
  MarginBatch,
  MarginModelName,
  MarginRequest,
  MarginRequestInstrument,
  PortfolioScenarioModelParameters,
  StandardModelParameters,
} from './margin-request-schema.js';
export { computeMargin, marginStatus, parseMarginRequest } from './compute-margin.js';
export type { MarginGroupResult, MarginPositionResult, MarginResult, MarginStatus } from './compute-margin.js';
export { computeMarginReceipt, receiptInputsOf, replayMarginReceipt } from './margin-receipts.js';
export type { ModelComponent, ModelGroupMargin, ModelPositionDetail, ScenarioDetail } from './model-outcome.js';
export { batchAccountRequest, computeMarginBatch, parseMarginBatch } from './margin-batch.js';
export type { MarginBatchOutcome, MarginBatchProgress } from './margin-batch.js';
export { maxTradeSizeForRequest } from './margin-sizing.js';
export type { MarginSizingQuery } from './margin-sizing.js';
export { toInstrument } from './margin-context.js';
