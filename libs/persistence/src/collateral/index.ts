export { CollateralOperationError } from './collateral-operation-error.js';
export type { CollateralOperationErrorCode } from './collateral-operation-error.js';
export { recordDeposit, requestWithdrawal, transferCollateral } from './collateral-operations.js';
export type {
  DepositCommand,
  DepositOutcome,
  MarginCheck,
  TransferCommand,
  TransferOutcome,
  WithdrawalCommand,
  WithdrawalOutcome,
} from './collateral-operations.js';
