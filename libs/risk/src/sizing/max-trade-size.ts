import type { Decimal } from '@novation/money';
import { ONE, ZERO, isDecimal } from '@novation/money';
import { PositionSizingError } from './position-sizing-error.js';

/** Equity and initial margin of the account after a trade; from any margin model. */
export interface MarginEvaluation {
  readonly equity: Decimal;
  readonly initialMargin: Decimal;
}

export interface MaxTradeSizeInput {
  /** Margin state after adding `signedAddedQuantity` contracts (positive buys, negative sells). */
  readonly evaluate: (signedAddedQuantity: Decimal) => MarginEvaluation;
  /** Lot size: every result is a whole number of steps. */
  readonly quantityStep: Decimal;
  /** Per-side cap, e.g. the position limit or the largest order size. */
  readonly quantityMax: Decimal;
  /** Search steps per side (doubling plus bisection), default 200; the zero, cap and interval checks are extra. */
  readonly iterationMax?: number;
}

export type SizingConstraint = 'initial-margin' | 'quantity-limit' | 'already-below-initial-margin';

export interface SideResult {
  /** Largest multiple of quantityStep in [0, quantityMax] that keeps the account within its margin rule. */
  readonly quantity: Decimal;
  readonly bindingConstraint: SizingConstraint;
  /** equity - initial margin after trading `quantity`. */
  readonly headroomAtQuantity: Decimal;
  /** Calls of `evaluate` on this side, interval checks included. */
  readonly evaluations: number;
}

export interface MaxTradeSizeResult {
  readonly buy: SideResult;
  readonly sell: SideResult;
}

export const SIZING_ITERATION_MAX_DEFAULT = 200;
/** Upper bound of iterationMax; bounds the work of one call whatever the caller passes. */
export const SIZING_ITERATION_MAX_LIMIT = 10_000;

type Side = 'buy' | 'sell';

/**
 * Largest buy and sell a margin model allows. headroom(q) = equity(q) - IM(q) is concave in q for convex
 * margin models, so the allowed set {q >= 0 : headroom(q) >= threshold} is an interval [0, q*]. The
 * threshold is 0 for an account within its initial margin. For an account already below it (headroom(0)
 * < 0) the threshold is headroom(0): any trade that does not reduce headroom further is allowed, so a
 * member can always trade out of risk. Each side checks the cap, else searches step counts exponentially
 * then by bisection, then spot-checks that the allowed set really is an interval.
 */
export function maxTradeSize(input: MaxTradeSizeInput): MaxTradeSizeResult {
  assertInput(input);
  return { buy: sideMaximum(input, 'buy'), sell: sideMaximum(input, 'sell') };
}

/** Memoised headroom per step count of one side; counts evaluations. */
class SideHeadroom {
  private readonly cache = new Map<string, Decimal>();
  evaluations = 0;

  constructor(
    private readonly input: MaxTradeSizeInput,
    private readonly side: Side,
  ) {}

  at(stepCount: Decimal): Decimal {
    const key = stepCount.toFixed();
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const quantity = stepCount.mul(this.input.quantityStep);
    const evaluation = this.input.evaluate(this.side === 'buy' ? quantity : quantity.neg());
    this.evaluations += 1;
    const headroom = headroomOf(evaluation, quantity);
    this.cache.set(key, headroom);
    return headroom;
  }
}

function sideMaximum(input: MaxTradeSizeInput, side: Side): SideResult {
  const headroom = new SideHeadroom(input, side);
  const threshold = smallerOf(headroom.at(ZERO), ZERO);
  const feasible = (stepCount: Decimal): boolean => headroom.at(stepCount).gte(threshold);
  const stepCountMax = input.quantityMax.div(input.quantityStep).floor();
  const capFeasible = feasible(stepCountMax);
  const stepCount = capFeasible
    ? stepCountMax
    : largestFeasibleStepCount(feasible, stepCountMax, input.iterationMax ?? SIZING_ITERATION_MAX_DEFAULT);
  assertInterval(feasible, stepCount, stepCountMax);
  const bindingConstraint: SizingConstraint = threshold.lt(ZERO)
    ? 'already-below-initial-margin'
    : capFeasible
      ? 'quantity-limit'
      : 'initial-margin';
  return {
    quantity: stepCount.mul(input.quantityStep),
    bindingConstraint,
    headroomAtQuantity: headroom.at(stepCount),
    evaluations: headroom.evaluations,
  };
}

/**
 * Largest feasible step count below an infeasible cap: doubling finds an infeasible bracket in
 * O(log q*) evaluations (cheaper than bisecting the whole cap when q* is small), then bisection closes it.
 */
function largestFeasibleStepCount(
  feasible: (stepCount: Decimal) => boolean,
  stepCountMax: Decimal,
  iterationMax: number,
): Decimal {
  let low = ZERO;
  let high = ONE;
  let iterations = 0;
  const spend = (): void => {
    iterations += 1;
    if (iterations > iterationMax) {
      throw new PositionSizingError('NOT_CONVERGED', 'iterationMax', `no answer within ${iterationMax} evaluations`);
    }
  };
  while (high.lt(stepCountMax)) {
    spend();
    if (!feasible(high)) break;
    low = high;
    high = smallerOf(high.mul(2), stepCountMax);
  }
  while (high.sub(low).gt(ONE)) {
    spend();
    const middle = low.add(high).div(2).floor();
    if (feasible(middle)) low = middle;
    else high = middle;
  }
  return low;
}

/**
 * Spot-checks the interval assumption: points inside [0, q*] must be feasible and the next steps above q*
 * infeasible. A model that fails is not concave in the trade, and its q* would be a guess.
 */
function assertInterval(feasible: (stepCount: Decimal) => boolean, stepCount: Decimal, stepCountMax: Decimal): void {
  for (const fraction of [4, 2]) {
    const inside = stepCount.div(fraction).floor();
    if (!feasible(inside)) {
      throw new PositionSizingError(
        'NON_INTERVAL_FEASIBLE_SET',
        'evaluate',
        `step count ${inside.toFixed()} is over margin but ${stepCount.toFixed()} is within it`,
      );
    }
  }
  for (const above of [stepCount.add(1), stepCount.add(2)]) {
    if (above.lte(stepCountMax) && feasible(above)) {
      throw new PositionSizingError(
        'NON_INTERVAL_FEASIBLE_SET',
        'evaluate',
        `step count ${above.toFixed()} is within margin above the boundary ${stepCount.toFixed()}`,
      );
    }
  }
}

function headroomOf(evaluation: MarginEvaluation, quantity: Decimal): Decimal {
  const { equity, initialMargin } = evaluation;
  if (!isDecimal(equity) || !equity.isFinite() || !isDecimal(initialMargin) || !initialMargin.isFinite()) {
    throw new PositionSizingError(
      'INVALID_INPUT',
      'evaluate',
      `equity and initialMargin must be finite Decimals at quantity ${quantity.toFixed()}`,
    );
  }
  return equity.sub(initialMargin);
}

function smallerOf(first: Decimal, second: Decimal): Decimal {
  return first.lte(second) ? first : second;
}

function assertInput(input: MaxTradeSizeInput): void {
  if (typeof input.evaluate !== 'function') {
    throw new PositionSizingError('INVALID_INPUT', 'evaluate', 'must be a function');
  }
  if (!isDecimal(input.quantityStep) || !input.quantityStep.isFinite() || !input.quantityStep.gt(ZERO)) {
    throw new PositionSizingError('INVALID_INPUT', 'quantityStep', 'must be a finite positive Decimal');
  }
  if (!isDecimal(input.quantityMax) || !input.quantityMax.isFinite() || input.quantityMax.lt(ZERO)) {
    throw new PositionSizingError('INVALID_INPUT', 'quantityMax', 'must be a finite non-negative Decimal');
  }
  const iterationMax = input.iterationMax ?? SIZING_ITERATION_MAX_DEFAULT;
  if (!Number.isInteger(iterationMax) || iterationMax < 1 || iterationMax > SIZING_ITERATION_MAX_LIMIT) {
    throw new PositionSizingError(
      'INVALID_INPUT',
      'iterationMax',
      `must be an integer in [1, ${SIZING_ITERATION_MAX_LIMIT}]`,
    );
  }
}
