export type CollateralExceptionCode =
  | 'NOT_A_MEMBER_FIRM_KEY'
  | 'ACCOUNT_NOT_FOUND'
  | 'INVALID_AMOUNT'
  | 'UNKNOWN_ASSET'
  | 'SAME_ACCOUNT'
  | 'ACCOUNT_NOT_ACTIVE'
  | 'ACCOUNT_UNDER_MARGIN_CALL'
  | 'INSUFFICIENT_BALANCE'
  | 'INITIAL_MARGIN_BREACH'
  | 'IDEMPOTENCY_KEY_REUSED';

/** Refusals of the collateral mutations; a refused mutation changed nothing. */
export class CollateralException extends Error {
  constructor(
    readonly code: CollateralExceptionCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'CollateralException';
  }
}
