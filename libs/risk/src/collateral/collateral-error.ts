/** Why collateral could not be valued. One code per broken precondition, so callers can map them. */
export type CollateralErrorCode =
  | 'MISSING_PRICE'
  | 'INVALID_PRICE'
  | 'MISSING_HAIRCUT'
  | 'INVALID_HAIRCUT'
  | 'DUPLICATE_ASSET'
  | 'INVALID_AMOUNT'
  | 'INVALID_INPUT';

/**
 * Thrown when holdings, prices or haircuts break a precondition. Collateral is never valued from a guess:
 * a missing price or haircut valued at zero or at par would either freeze or overstate an account.
 */
export class CollateralError extends Error {
  constructor(
    readonly code: CollateralErrorCode,
    /** The input field at fault, e.g. `haircuts[ETH].initial`. */
    readonly field: string,
    detail: string,
  ) {
    super(`${code} at ${field}: ${detail}`);
    this.name = 'CollateralError';
  }
}
