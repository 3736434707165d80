/**
 * Settlement runs: perpetual funding, daily variation margin, expiry settlement. All three pay from and
 * into the 'variation_margin' house account (the clearinghouse's side of every PnL flow; funding uses it
 * too, since members' funding nets to zero and only the rounding residual stays with the house).
 */
export { SettlementError } from './settlement-error.js';
export type { SettlementErrorCode } from './settlement-error.js';
export { SETTLEMENT_HOUSE_ROLE, SETTLEMENT_SUBJECT_TYPE } from './settlement-run.js';
export { runFunding } from './run-funding.js';
export type { FundingRunInput, FundingRunResult } from './run-funding.js';
export { runVariationMargin } from './run-variation-margin.js';
export type { VariationMarginRunInput, VariationMarginRunResult } from './run-variation-margin.js';
export { settleExpiry } from './settle-expiry.js';
export type { ExpiryRunInput, ExpiryRunResult } from './settle-expiry.js';
