export { MarginServiceError, assertEpochMs } from './margin-service-error.js';
export type { MarginServiceErrorCode } from './margin-service-error.js';
export { activeParameterSet, parameterSetBodySchema, parseParameterSetBody } from './parameter-set-body.js';
export type { ActiveParameterSet, ParameterSetBody } from './parameter-set-body.js';
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
