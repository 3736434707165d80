/** Why a collateral operation was refused; a refused operation changes nothing. */
export type CollateralOperationErrorCode =
  | 'INVALID_AMOUNT'
  | 'INVALID_TIME'
  | 'INVALID_IDEMPOTENCY_KEY'
  | 'UNKNOWN_ACCOUNT'
  | 'UNKNOWN_ASSET'
  | 'NOT_A_MEMBER_ACCOUNT'
  | 'ACCOUNT_NOT_ACTIVE'
  | 'SAME_ACCOUNT'
  | 'DIFFERENT_MEMBERS'
  | 'ACCOUNT_UNDER_MARGIN_CALL'
  | 'INSUFFICIENT_BALANCE'
  | 'WITHDRAWAL_BREACHES_INITIAL_MARGIN'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'NO_CUSTODY_ACCOUNT';

export class CollateralOperationError extends Error {
  constructor(
    readonly code: CollateralOperationErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'CollateralOperationError';
  }
}
