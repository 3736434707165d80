export { MarginServiceError, assertEpochMs } from './margin-service-error.js';
export type { MarginServiceErrorCode } from './margin-service-error.js';
export {
  DEFAULT_LIQUIDATION_PARAMETERS,
  activeParameterSet,
  liquidationParametersSchema,
  parameterSetBodySchema,
  parseParameterSetBody,
} from './parameter-set-body.js';
export type { ActiveParameterSet, LiquidationParameters, ParameterSetBody } from './parameter-set-body.js';
export {
  PHASE_IN_DAYS_MAX,
  PHASE_IN_DAYS_MIN,
  PHASE_IN_LABEL_SUFFIX_LENGTH_MAX,
  PHASE_IN_STEP_MS,
  interpolateParameterBodies,
  isPhaseInPeriodMs,
  phaseInParameterBody,
  phaseInStep,
  phaseInViolations,
  phaseInWeightText,
} from './parameter-phase-in.js';
export type { PhaseInInput, PhaseInState, PhaseInViolation, PhasedBody } from './parameter-phase-in.js';
export { DEMO_PARAMETER_SET_VERSION, demoParameterSetBody, ensureDemoParameterSet } from './demo-parameter-set.js';
export { buildMarginRequest, instrumentJson, modelForAccountKind } from './margin-request-builder.js';
export type { BuildMarginRequestOptions } from './margin-request-builder.js';
export {
  compareAndSwapMarginState,
  exportReceipt,
  marginAccount,
  nextMarginState,
  storeReceipt,
} from './margin-account.js';
export type { ExportedMarginReceipt, MarginAccountOutcome } from './margin-account.js';
export { inTransactionWithRetry, isRetryableTransactionError, isUuid, lockAccounts } from './transaction.js';
export type { TransactionRetryOptions } from './transaction.js';
