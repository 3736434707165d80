/** Why a contract calculation was refused. */
export type InstrumentErrorCode =
  | 'NON_POSITIVE_CONTRACT_SIZE'
  | 'NON_POSITIVE_PRICE'
  | 'NON_POSITIVE_STRIKE'
  | 'ZERO_CONTRACTS'
  | 'NEGATIVE_PREMIUM'
  | 'OPPOSITE_DIRECTIONS'
  | 'INVALID_EXPIRY';

/** A precondition of the contract maths was broken. Thrown, never turned into a zero or NaN amount. */
export class InstrumentError extends Error {
  constructor(
    readonly code: InstrumentErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'InstrumentError';
  }
}
