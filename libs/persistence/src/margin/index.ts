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
export {
  buildMarginRequest,
  buildMarginRequests,
  instrumentJson,
  modelForAccountKind,
} from './margin-request-builder.js';
export type { BuildMarginRequestOptions, BuiltMarginRequest } from './margin-request-builder.js';
export {
  MARGIN_BATCH_ACCOUNTS_MAX,
  compareAndSwapMarginState,
  exportReceipt,
  marginAccount,
  marginAccounts,
  nextMarginState,
  storeReceipt,
  storeReceipts,
} from './margin-account.js';
export type { ExportedMarginReceipt, MarginAccountOutcome, MarginAccountsOutcome } from './margin-account.js';
export { inTransactionWithRetry, isRetryableTransactionError, isUuid, lockAccounts } from './transaction.js';
export type { TransactionRetryOptions } from './transaction.js';
