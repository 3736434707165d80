/** Why a set of option inputs was refused. One code per broken precondition, so callers can map them. */
export type OptionPricingErrorCode =
  | 'NON_FINITE_INPUT'
  | 'UNKNOWN_OPTION_TYPE'
  | 'NON_POSITIVE_UNDERLYING_PRICE'
  | 'NON_POSITIVE_STRIKE_PRICE'
  | 'NEGATIVE_TIME_TO_EXPIRY'
  | 'NON_POSITIVE_VOLATILITY'
  | 'EXPIRED_OPTION_HAS_NO_GREEKS';

/**
 * Thrown when option inputs break a precondition of the model. Pricing never returns NaN or Infinity:
 * a margin figure built on a silent NaN would be wrong without anyone noticing.
 */
export class OptionPricingError extends Error {
  constructor(
    readonly code: OptionPricingErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'OptionPricingError';
  }
}
