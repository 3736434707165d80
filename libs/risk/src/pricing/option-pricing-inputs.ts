import { OptionPricingError } from './option-pricing-error.js';

export type OptionType = 'call' | 'put';

/**
 * Inputs of the generalised Black-Scholes model (Haug, "The Complete Guide to Option Pricing Formulas",
 * section 1.1.6). Rates and yields are continuously compounded per year; 0.05 means 5%.
 *
 * The cost of carry is b = riskFreeRate - dividendYield, so one set of formulas covers:
 * - Black-Scholes-Merton on a spot with continuous dividend yield q: dividendYield = q;
 * - Black-76 on a futures or forward price: underlyingPrice = the futures price, dividendYield = riskFreeRate
 *   (b = 0; see black-76.ts, whose rho keeps the futures price fixed);
 * - Garman-Kohlhagen on a currency pair: dividendYield = the foreign risk-free rate.
 * We take q rather than b as the input because rho is then "rates move, the yield stays", the QuantLib and
 * Haug convention for BSM and Garman-Kohlhagen.
 */
export interface GeneralisedBlackScholesInputs {
  readonly optionType: OptionType;
  /** Spot price S (or the futures price F for Black-76), in quote currency per unit of underlying. */
  readonly underlyingPrice: number;
  /** Strike K, in the same currency as the underlying price. */
  readonly strikePrice: number;
  /** Time to expiry T in years (calendar-time year fraction, decided by the caller). 0 means expiring now. */
  readonly timeToExpiryYears: number;
  /** Annualised volatility sigma of log returns; 0.2 means 20% per square-root year. */
  readonly volatility: number;
  /** Risk-free rate r used to discount the payoff. */
  readonly riskFreeRate: number;
  /** Continuous yield q of holding the underlying (dividend yield, foreign rate, or r for futures). */
  readonly dividendYield: number;
}

/** Cost of carry b = r - q (Haug's notation). */
export function costOfCarryRate(inputs: Pick<GeneralisedBlackScholesInputs, 'riskFreeRate' | 'dividendYield'>): number {
  return inputs.riskFreeRate - inputs.dividendYield;
}

/** Asserts every precondition of the model; throws OptionPricingError naming the first one broken. */
export function assertValidOptionInputs(inputs: GeneralisedBlackScholesInputs): void {
  assertOptionType(inputs.optionType);
  const numbers: readonly (keyof Omit<GeneralisedBlackScholesInputs, 'optionType'>)[] = [
    'underlyingPrice',
    'strikePrice',
    'timeToExpiryYears',
    'volatility',
    'riskFreeRate',
    'dividendYield',
  ];
  for (const name of numbers) {
    if (!Number.isFinite(inputs[name])) {
      throw new OptionPricingError('NON_FINITE_INPUT', `${name} must be a finite number, got ${inputs[name]}`);
    }
  }
  assertPositivePrices(inputs.underlyingPrice, inputs.strikePrice);
  if (inputs.timeToExpiryYears < 0) {
    throw new OptionPricingError('NEGATIVE_TIME_TO_EXPIRY', `timeToExpiryYears ${inputs.timeToExpiryYears} < 0`);
  }
  if (inputs.volatility <= 0) {
    throw new OptionPricingError('NON_POSITIVE_VOLATILITY', `volatility ${inputs.volatility} must be > 0`);
  }
}

/** Runtime check for callers outside TypeScript (JSON files, GraphQL). */
export function assertOptionType(optionType: string): asserts optionType is OptionType {
  if (optionType !== 'call' && optionType !== 'put') {
    throw new OptionPricingError('UNKNOWN_OPTION_TYPE', `optionType must be 'call' or 'put', got ${optionType}`);
  }
}

function assertPositivePrices(underlyingPrice: number, strikePrice: number): void {
  if (underlyingPrice <= 0) {
    throw new OptionPricingError('NON_POSITIVE_UNDERLYING_PRICE', `underlyingPrice ${underlyingPrice} must be > 0`);
  }
  if (strikePrice <= 0) {
    throw new OptionPricingError('NON_POSITIVE_STRIKE_PRICE', `strikePrice ${strikePrice} must be > 0`);
  }
}
