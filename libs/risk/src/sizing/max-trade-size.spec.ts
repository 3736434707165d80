import fc from 'fast-check';
import { Decimal } from '@novation/money';
import type { MarginEvaluation, MaxTradeSizeInput } from './max-trade-size.js';
import { maxTradeSize } from './max-trade-size.js';
import { PositionSizingError } from './position-sizing-error.js';

interface LinearModel {
  readonly equity: string;
  readonly rate: string;
  readonly price: string;
  readonly position: string;
}

/** Toy model: constant equity E, IM = rate x |position + q| x price; q* has a closed form. */
function linearModel(model: LinearModel): (signedAddedQuantity: Decimal) => MarginEvaluation {
  const equity = new Decimal(model.equity);
  const rate = new Decimal(model.rate);
  const price = new Decimal(model.price);
  const position = new Decimal(model.position);
  return (signedAddedQuantity) => ({
    equity,
    initialMargin: rate.mul(position.add(signedAddedQuantity).abs()).mul(price),
  });
}

const MODEL: LinearModel = { equity: '10000', rate: '0.1', price: '100', position: '10' };

function sizing(model: LinearModel, overrides: Partial<MaxTradeSizeInput> = {}) {
  return maxTradeSize({
    evaluate: linearModel(model),
    quantityStep: new Decimal(1),
    quantityMax: new Decimal(1_000_000),
    ...overrides,
  });
}

function expectSizingError(run: () => unknown, code: string, field: string): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PositionSizingError);
    expect((error as PositionSizingError).code).toBe(code);
    expect((error as PositionSizingError).field).toBe(field);
    return;
  }
  throw new Error(`expected PositionSizingError ${code}`);
}

describe('maxTradeSize with a linear margin model', () => {
  // Capacity E / (rate x price) = 10,000 / 10 = 1,000 contracts of absolute position.
  it('buys up to capacity - position and sells up to capacity + position', () => {
    const result = sizing(MODEL);
    expect(result.buy.quantity.toFixed()).toBe('990');
    expect(result.buy.bindingConstraint).toBe('initial-margin');
    expect(result.buy.headroomAtQuantity.toFixed()).toBe('0');
    expect(result.sell.quantity.toFixed()).toBe('1010');
    expect(result.sell.bindingConstraint).toBe('initial-margin');
    expect(result.buy.evaluations).toBeLessThanOrEqual(60);
  });

  it('lets a long at full capacity sell twice its size (to the same short) but buy nothing', () => {
    const result = sizing({ ...MODEL, position: '1000' });
    expect(result.buy.quantity.toFixed()).toBe('0');
    expect(result.buy.bindingConstraint).toBe('initial-margin');
    expect(result.sell.quantity.toFixed()).toBe('2000');
    expect(result.sell.headroomAtQuantity.toFixed()).toBe('0');
  });

  it('reports the quantity limit when the cap is within margin', () => {
    const result = sizing(MODEL, { quantityMax: new Decimal(500) });
    expect(result.buy.quantity.toFixed()).toBe('500');
    expect(result.buy.bindingConstraint).toBe('quantity-limit');
    // 10,000 - 0.1 x 510 x 100.
    expect(result.buy.headroomAtQuantity.toFixed()).toBe('4900');
    expect(result.sell.bindingConstraint).toBe('quantity-limit');
  });

  it('below IM allows only trades that do not reduce headroom further', () => {
    // Position 1,200 > capacity 1,000: headroom(0) = 10,000 - 12,000 = -2,000.
    const result = sizing({ ...MODEL, position: '1200' });
    expect(result.buy.quantity.toFixed()).toBe('0');
    expect(result.buy.bindingConstraint).toBe('already-below-initial-margin');
    expect(result.buy.headroomAtQuantity.toFixed()).toBe('-2000');
    expect(result.sell.quantity.toFixed()).toBe('2400');
    expect(result.sell.bindingConstraint).toBe('already-below-initial-margin');
    const capped = sizing({ ...MODEL, position: '1200' }, { quantityMax: new Decimal(1000) });
    expect(capped.sell.quantity.toFixed()).toBe('1000');
    expect(capped.sell.bindingConstraint).toBe('already-below-initial-margin');
  });

  it('rounds down to whole steps, never past q*', () => {
    const result = sizing(MODEL, { quantityStep: new Decimal(7) });
    // 990 / 7 = 141.4 steps; 1,010 / 7 = 144.3 steps.
    expect(result.buy.quantity.toFixed()).toBe('987');
    expect(result.buy.headroomAtQuantity.toFixed()).toBe('30');
    expect(result.sell.quantity.toFixed()).toBe('1008');
    // Capacity 1,000 / (0.07 x 333) = 42.900042...: 42,900 steps of 0.001 leave 0.001 of headroom.
    const fine = sizing(
      { equity: '1000', rate: '0.07', price: '333', position: '0' },
      { quantityStep: new Decimal('0.001') },
    );
    expect(fine.buy.quantity.toFixed()).toBe('42.9');
    expect(fine.buy.headroomAtQuantity.toFixed()).toBe('0.001');
  });

  it('returns a feasible multiple of the step whose next step is infeasible or beyond the cap', () => {
    const arbitrary = fc.record({
      equity: fc.integer({ min: 0, max: 1_000_000 }),
      ratePercent: fc.integer({ min: 1, max: 50 }),
      price: fc.integer({ min: 1, max: 100_000 }),
      position: fc.integer({ min: -10_000, max: 10_000 }),
      step: fc.constantFrom('0.001', '0.1', '1', '5'),
      cap: fc.integer({ min: 0, max: 1_000_000 }),
    });
    fc.assert(
      fc.property(arbitrary, (draw) => {
        const evaluate = linearModel({
          equity: String(draw.equity),
          rate: new Decimal(draw.ratePercent).div(100).toFixed(),
          price: String(draw.price),
          position: String(draw.position),
        });
        const step = new Decimal(draw.step);
        const cap = new Decimal(draw.cap);
        const result = maxTradeSize({ evaluate, quantityStep: step, quantityMax: cap });
        const headroom = (signed: Decimal): Decimal => {
          const evaluation = evaluate(signed);
          return evaluation.equity.sub(evaluation.initialMargin);
        };
        const threshold = Decimal.min(headroom(new Decimal(0)), 0);
        for (const [side, sign] of [
          [result.buy, 1],
          [result.sell, -1],
        ] as const) {
          expect(side.quantity.mod(step).isZero()).toBe(true);
          expect(side.quantity.lte(cap)).toBe(true);
          expect(headroom(side.quantity.mul(sign)).gte(threshold)).toBe(true);
          const next = side.quantity.add(step);
          expect(next.gt(cap) || headroom(next.mul(sign)).lt(threshold)).toBe(true);
        }
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});

describe('maxTradeSize preconditions', () => {
  it('throws NON_INTERVAL_FEASIBLE_SET when a point inside the interval is over margin', () => {
    // Within margin up to 20 steps except at 5: the search lands on 20, the check at 20 / 4 = 5 fails.
    const evaluate = (quantity: Decimal): MarginEvaluation => {
      const steps = quantity.abs().toNumber();
      const overMargin = steps === 5 || steps > 20;
      return { equity: new Decimal(100), initialMargin: new Decimal(overMargin ? 200 : 50) };
    };
    expectSizingError(
      () => maxTradeSize({ evaluate, quantityStep: new Decimal(1), quantityMax: new Decimal(1000) }),
      'NON_INTERVAL_FEASIBLE_SET',
      'evaluate',
    );
  });

  it('throws NON_INTERVAL_FEASIBLE_SET when a point above the boundary is within margin', () => {
    // Within margin at 0..11 and 13: bisection stops at 11, the check at 13 finds room again.
    const evaluate = (quantity: Decimal): MarginEvaluation => {
      const steps = quantity.abs().toNumber();
      const withinMargin = steps <= 11 || steps === 13;
      return { equity: new Decimal(100), initialMargin: new Decimal(withinMargin ? 50 : 200) };
    };
    expectSizingError(
      () => maxTradeSize({ evaluate, quantityStep: new Decimal(1), quantityMax: new Decimal(1000) }),
      'NON_INTERVAL_FEASIBLE_SET',
      'evaluate',
    );
  });

  it('throws NOT_CONVERGED when iterationMax is too small for the range', () => {
    expectSizingError(() => sizing(MODEL, { iterationMax: 3 }), 'NOT_CONVERGED', 'iterationMax');
  });

  it('rejects invalid inputs, naming the field', () => {
    expectSizingError(() => sizing(MODEL, { quantityStep: new Decimal(0) }), 'INVALID_INPUT', 'quantityStep');
    expectSizingError(() => sizing(MODEL, { quantityMax: new Decimal(-1) }), 'INVALID_INPUT', 'quantityMax');
    expectSizingError(() => sizing(MODEL, { iterationMax: 0 }), 'INVALID_INPUT', 'iterationMax');
    expectSizingError(
      () =>
        maxTradeSize({
          evaluate: () => ({ equity: new Decimal(Number.NaN), initialMargin: new Decimal(0) }),
          quantityStep: new Decimal(1),
          quantityMax: new Decimal(10),
        }),
      'INVALID_INPUT',
      'evaluate',
    );
  });

  it('a zero cap returns zero on both sides', () => {
    const result = sizing(MODEL, { quantityMax: new Decimal(0) });
    expect(result.buy.quantity.toFixed()).toBe('0');
    expect(result.buy.bindingConstraint).toBe('quantity-limit');
  });
});
