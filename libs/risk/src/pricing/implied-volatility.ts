import { ImpliedVolatilityError } from './implied-volatility-error.js';
import { normalCdf, normalPdf } from './normal-distribution.js';
import { costOfCarryRate } from './option-pricing-inputs.js';
import type { GeneralisedBlackScholesInputs, OptionType } from './option-pricing-inputs.js';

/** Most Newton-or-bisection steps; bisection alone would pin sigma to 1e-28 within it. */
export const IMPLIED_VOLATILITY_ITERATIONS_MAX = 100;
/** Highest volatility the solver will return (10,000% a year); above it the price is treated as an error. */
export const IMPLIED_VOLATILITY_MAX = 100;
/** Converged when the model price is within this relative distance of the target price. */
const PRICE_RELATIVE_TOLERANCE = 1e-14;
/**
 * Converged when a Newton step inside the bracket is smaller than this fraction of the volatility: Newton
 * converges quadratically, so after such a step the remaining relative error is of order 1e-16. This also
 * stops the search where rounding noise in the price (near the money at tiny sigma sqrt(T)) is larger
 * than PRICE_RELATIVE_TOLERANCE.
 */
const NEWTON_STEP_RELATIVE_TOLERANCE = 1e-8;
/** Converged when the bracket is narrower than this fraction of the volatility. */
const BRACKET_RELATIVE_TOLERANCE = 1e-15;

export interface ImpliedVolatilityInputs extends Omit<GeneralisedBlackScholesInputs, 'volatility'> {
  /** Observed option price, in the same units as generalisedBlackScholesValue returns. */
  readonly optionPrice: number;
}

export interface ImpliedVolatilityResult {
  readonly volatility: number;
  /** Solver steps used, at most IMPLIED_VOLATILITY_ITERATIONS_MAX. */
  readonly iterations: number;
}

/** The problem reduced to an out-of-the-money undiscounted option, whose whole price is time value. */
interface TimeValueProblem {
  readonly side: OptionType;
  readonly forwardPrice: number;
  readonly strikePrice: number;
  readonly timeToExpiryYears: number;
  readonly targetValue: number;
}

/**
 * Implied volatility of a European option under the generalised Black-Scholes model.
 *
 * Method: the price is undiscounted and reduced by put-call parity to the out-of-the-money option with the
 * same time value, so deep in-the-money prices do not lose their time value in cancellation. Newton's
 * method is applied to ln(model value) - ln(target value), which is well scaled even for far
 * out-of-the-money options whose value is a tail probability, and is safeguarded by a bracket
 * [low, high] that always contains the root: a Newton step that leaves the bracket is replaced by false
 * position between the bracket ends, and when the last step failed to halve the error by bisection, so
 * the bracket keeps shrinking and convergence is guaranteed within the iteration limit (in practice at
 * most about 15 steps, 2 to 4 typically).
 * The price must lie strictly between the discounted intrinsic value and the upper bound, and T > 0.
 */
export function impliedVolatility(inputs: ImpliedVolatilityInputs): ImpliedVolatilityResult {
  const problem = toTimeValueProblem(inputs);
  return solveInBracket(problem, bracketRoot(problem));
}

function toTimeValueProblem(inputs: ImpliedVolatilityInputs): TimeValueProblem {
  assertValidImpliedVolatilityInputs(inputs);
  const { optionType, underlyingPrice, strikePrice, timeToExpiryYears, riskFreeRate, optionPrice } = inputs;
  const forwardPrice = underlyingPrice * Math.exp(costOfCarryRate(inputs) * timeToExpiryYears);
  const undiscountedPrice = optionPrice * Math.exp(riskFreeRate * timeToExpiryYears);
  const upperBound = optionType === 'call' ? forwardPrice : strikePrice;
  if (undiscountedPrice >= upperBound) {
    throw new ImpliedVolatilityError(
      'PRICE_ABOVE_UPPER_BOUND',
      `price ${optionPrice} is not below the no-arbitrage bound`,
    );
  }
  const intrinsic =
    optionType === 'call' ? Math.max(forwardPrice - strikePrice, 0) : Math.max(strikePrice - forwardPrice, 0);
  const targetValue = undiscountedPrice - intrinsic;
  if (!(targetValue > 0)) {
    throw new ImpliedVolatilityError('PRICE_BELOW_INTRINSIC', `price ${optionPrice} has no positive time value`);
  }
  return {
    side: forwardPrice > strikePrice ? 'put' : 'call',
    forwardPrice,
    strikePrice,
    timeToExpiryYears,
    targetValue,
  };
}

function assertValidImpliedVolatilityInputs(inputs: ImpliedVolatilityInputs): void {
  // Checked at run time too: inputs may come from JSON files or GraphQL, not only from typed code.
  const optionType: string = inputs.optionType;
  if (optionType !== 'call' && optionType !== 'put') {
    throw new ImpliedVolatilityError('INVALID_INPUT', `optionType must be 'call' or 'put', got ${optionType}`);
  }
  const { underlyingPrice, strikePrice, timeToExpiryYears, riskFreeRate, dividendYield, optionPrice } = inputs;
  const finite = [underlyingPrice, strikePrice, timeToExpiryYears, riskFreeRate, dividendYield, optionPrice];
  if (!finite.every((value) => Number.isFinite(value))) {
    throw new ImpliedVolatilityError('INVALID_INPUT', 'every input must be a finite number');
  }
  if (underlyingPrice <= 0 || strikePrice <= 0) {
    throw new ImpliedVolatilityError('INVALID_INPUT', 'underlyingPrice and strikePrice must be > 0');
  }
  if (timeToExpiryYears <= 0) {
    throw new ImpliedVolatilityError(
      'INVALID_INPUT',
      'timeToExpiryYears must be > 0: at expiry no volatility is implied',
    );
  }
  if (optionPrice < 0) throw new ImpliedVolatilityError('INVALID_INPUT', `optionPrice ${optionPrice} < 0`);
}

/**
 * ln(model value) - ln(target value) for the out-of-the-money side (undiscounted Black), and the Newton
 * step for it: the derivative of ln(value) is vega / value. The error is -Infinity when the value
 * underflows to 0, and the step is then NaN, which the caller treats as "not usable".
 */
function logPriceError(problem: TimeValueProblem, volatility: number): { logError: number; newtonStep: number } {
  const { side, forwardPrice, strikePrice, timeToExpiryYears, targetValue } = problem;
  const sqrtTimeToExpiry = Math.sqrt(timeToExpiryYears);
  const totalVolatility = volatility * sqrtTimeToExpiry;
  const d1 = Math.log(forwardPrice / strikePrice) / totalVolatility + 0.5 * totalVolatility;
  const d2 = d1 - totalVolatility;
  const sign = side === 'call' ? 1 : -1;
  const value = Math.max(sign * (forwardPrice * normalCdf(sign * d1) - strikePrice * normalCdf(sign * d2)), 0);
  const vega = forwardPrice * normalPdf(d1) * sqrtTimeToExpiry;
  const logError = Math.log(value) - Math.log(targetValue);
  return { logError, newtonStep: (logError * value) / vega };
}

/** A volatility interval known to contain the root, with the log errors at its ends. */
interface Bracket {
  low: number;
  lowError: number;
  high: number;
  highError: number;
}

/** Finds [low, high] with value(low) < target <= value(high): low starts at 0, high doubles from 1. */
function bracketRoot(problem: TimeValueProblem): Bracket {
  const bracket: Bracket = { low: 0, lowError: Number.NEGATIVE_INFINITY, high: 1, highError: 0 };
  bracket.highError = logPriceError(problem, bracket.high).logError;
  while (bracket.highError < 0) {
    if (bracket.high >= IMPLIED_VOLATILITY_MAX) {
      throw new ImpliedVolatilityError('VOLATILITY_ABOVE_MAXIMUM', `needs volatility > ${IMPLIED_VOLATILITY_MAX}`);
    }
    bracket.low = bracket.high;
    bracket.lowError = bracket.highError;
    bracket.high = Math.min(2 * bracket.high, IMPLIED_VOLATILITY_MAX);
    bracket.highError = logPriceError(problem, bracket.high).logError;
  }
  return bracket;
}

/** First guess: the Manaster-Koehler point sqrt(2|ln(F/K)|/T), or Brenner-Subrahmanyam at the money. */
function initialGuess(problem: TimeValueProblem): number {
  const { forwardPrice, strikePrice, timeToExpiryYears, targetValue } = problem;
  const manasterKoehler = Math.sqrt((2 * Math.abs(Math.log(forwardPrice / strikePrice))) / timeToExpiryYears);
  const brennerSubrahmanyam = Math.sqrt((2 * Math.PI) / timeToExpiryYears) * (targetValue / forwardPrice);
  return Math.max(manasterKoehler, brennerSubrahmanyam);
}

function isInside(bracket: Bracket, volatility: number): boolean {
  return volatility > bracket.low && volatility < bracket.high;
}

/**
 * The next point: Newton if it stays inside the bracket, else false position between the bracket ends
 * (which finds a root lying right at an end, where Newton from the other side overshoots), else bisection.
 * Bisection is also forced when the last step did not halve the error, so progress is guaranteed.
 */
function nextVolatility(bracket: Bracket, newton: number, errorHalved: boolean): number {
  const { low, lowError, high, highError } = bracket;
  if (errorHalved && isInside(bracket, newton)) return newton;
  const falsePosition = low - (lowError * (high - low)) / (highError - lowError);
  if (errorHalved && isInside(bracket, falsePosition)) return falsePosition;
  return 0.5 * (low + high);
}

/** The root lies above a point with a negative error and below one with a positive error. */
function narrowBracket(bracket: Bracket, volatility: number, logError: number): void {
  if (logError < 0) {
    bracket.low = volatility;
    bracket.lowError = logError;
  } else {
    bracket.high = volatility;
    bracket.highError = logError;
  }
}

function solveInBracket(problem: TimeValueProblem, bracket: Bracket): ImpliedVolatilityResult {
  const guess = initialGuess(problem);
  let volatility = isInside(bracket, guess) ? guess : 0.5 * (bracket.low + bracket.high);
  let previousErrorSize = Number.POSITIVE_INFINITY;
  for (let iteration = 1; iteration <= IMPLIED_VOLATILITY_ITERATIONS_MAX; iteration += 1) {
    const { logError, newtonStep } = logPriceError(problem, volatility);
    if (Math.abs(logError) <= PRICE_RELATIVE_TOLERANCE) return { volatility, iterations: iteration };
    narrowBracket(bracket, volatility, logError);
    const newton = volatility - newtonStep;
    if (isInside(bracket, newton) && Math.abs(newtonStep) <= NEWTON_STEP_RELATIVE_TOLERANCE * volatility) {
      return { volatility: newton, iterations: iteration };
    }
    const next = nextVolatility(bracket, newton, Math.abs(logError) <= 0.5 * previousErrorSize);
    previousErrorSize = Math.abs(logError);
    if (bracket.high - bracket.low <= BRACKET_RELATIVE_TOLERANCE * bracket.high) {
      return { volatility: next, iterations: iteration };
    }
    volatility = next;
  }
  throw new ImpliedVolatilityError('NO_CONVERGENCE', `no root within ${IMPLIED_VOLATILITY_ITERATIONS_MAX} iterations`);
}
