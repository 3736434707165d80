import fc from 'fast-check';
import { Decimal } from '@novation/money';
import type { InversePerpetual, LinearPerpetual } from '@novation/instruments';
import { ClearingError } from '../clearing-error.js';
import { planLiquidationSlice } from './plan-liquidation-slice.js';
import type { LiquidationPosition, PlanLiquidationSliceInput } from './plan-liquidation-slice.js';

const d = (value: string | number): Decimal => new Decimal(value);

function linearPerp(id: string, contractSize: string): LinearPerpetual {
  return {
    kind: 'linear_perpetual',
    id,
    underlying: id.split('-')[0] ?? id,
    quoteAsset: 'USDC',
    settlementAsset: 'USDC',
    contractSize: d(contractSize),
  };
}

const eth = linearPerp('ETH-PERP', '1');
const btc = linearPerp('BTC-PERP', '0.001');
const sol = linearPerp('SOL-PERP', '1');
const btcInverse: InversePerpetual = {
  kind: 'inverse_perpetual',
  id: 'BTC-USD-INV',
  underlying: 'BTC',
  quoteAsset: 'USD',
  settlementAsset: 'BTC',
  contractSize: d('10'),
};

/**
 * Hand-checked book, penalty 0.5 %, slices of at most 25 %:
 * - SOL long 100 @ mark 100, IM 2,500: r = 25/contract; exec 99.5, penalty 0.5 + close cost 0.5 = 1; r/c = 25;
 *   cap 25 contracts.
 * - ETH long 40 @ mark 2,000, IM 8,000: r = 200; exec 1,990, penalty 10, no close cost; r/c = 20; cap 10.
 * - BTC short 2,000 x 0.001 @ mark 50,000, IM 10,000: r = 5; exec 50,250, penalty 0.001 x 250 = 0.25 +
 *   close cost 0.05 = 0.30; r/c = 16.67; cap 500 (step 10).
 * Order: SOL (25), ETH (20), BTC (16.67).
 */
const btcShort: LiquidationPosition = {
  instrumentId: 'BTC-PERP',
  instrument: btc,
  quantity: d(-2000),
  markPrice: d(50000),
  initialMarginContribution: d(10000),
  closeCostPerContract: d('0.05'),
};
const ethLong: LiquidationPosition = {
  instrumentId: 'ETH-PERP',
  instrument: eth,
  quantity: d(40),
  markPrice: d(2000),
  initialMarginContribution: d(8000),
};
const solLong: LiquidationPosition = {
  instrumentId: 'SOL-PERP',
  instrument: sol,
  quantity: d(100),
  markPrice: d(100),
  initialMarginContribution: d(2500),
  closeCostPerContract: d('0.5'),
};
const book: LiquidationPosition[] = [btcShort, ethLong, solLong];

function inputOf(overrides: Partial<PlanLiquidationSliceInput> = {}): PlanLiquidationSliceInput {
  return {
    accountId: 'member-7',
    positions: book,
    maxSliceFraction: d('0.25'),
    liquidationPenaltyFraction: d('0.005'),
    targetRequirementReduction: d(3000),
    quantitySteps: { 'BTC-PERP': d(10), 'ETH-PERP': d(1), 'SOL-PERP': d(1), 'BTC-USD-INV': d(1) },
    settlementAssetScale: 2,
    ...overrides,
  };
}

const summary = (plan: ReturnType<typeof planLiquidationSlice>): string[][] =>
  plan.closes.map((close) => [
    close.instrumentId,
    close.closeQuantity.toFixed(),
    close.executionPrice.toFixed(),
    close.penalty.toFixed(),
    close.requirementReduction.toFixed(),
  ]);

describe('planLiquidationSlice', () => {
  it('closes the best requirement-per-cost first and stops once the target is reached', () => {
    // Target 3,000: SOL 25 (cap; frees 625), ETH 10 (needs 12, cap 10; frees 2,000), BTC needs 375/5 = 75,
    // rounded up to the step of 10: 80 (frees 400). Total 3,025 >= 3,000.
    const plan = planLiquidationSlice(inputOf());
    expect(summary(plan)).toEqual([
      ['SOL-PERP', '-25', '99.5', '12.5', '625'],
      ['ETH-PERP', '-10', '1990', '100', '2000'],
      ['BTC-PERP', '80', '50250', '20', '400'],
    ]);
    expect(plan.requirementReduction.toFixed()).toBe('3025');
    expect(plan.targetReached).toBe(true);
  });

  it('stops inside the first position when it alone reaches the target', () => {
    // 600 / 25 = 24 contracts of SOL, under its cap of 25.
    const plan = planLiquidationSlice(inputOf({ targetRequirementReduction: d(600) }));
    expect(summary(plan)).toEqual([['SOL-PERP', '-24', '99.5', '12', '600']]);
    expect(plan.targetReached).toBe(true);
  });

  it('slices every position to its cap and reports an unreached target', () => {
    const plan = planLiquidationSlice(inputOf({ targetRequirementReduction: d('1e9') }));
    expect(plan.closes.map((close) => close.closeQuantity.toFixed())).toEqual(['-25', '-10', '500']);
    expect(plan.requirementReduction.toFixed()).toBe('5125');
    expect(plan.targetReached).toBe(false);
  });

  it('plans nothing for a zero target', () => {
    const plan = planLiquidationSlice(inputOf({ targetRequirementReduction: d(0) }));
    expect(plan.closes).toEqual([]);
    expect(plan.targetReached).toBe(true);
  });

  it('breaks equal ratios by instrument id', () => {
    const same = { quantity: d(10), markPrice: d(100), initialMarginContribution: d(100) };
    const plan = planLiquidationSlice(
      inputOf({
        positions: [
          { instrumentId: 'SOL-PERP', instrument: sol, ...same },
          { instrumentId: 'ETH-PERP', instrument: eth, ...same },
        ],
        targetRequirementReduction: d(1000),
      }),
    );
    expect(plan.closes.map((close) => close.instrumentId)).toEqual(['ETH-PERP', 'SOL-PERP']);
  });

  it('ranks a zero-cost position first and skips positions that free no requirement', () => {
    const plan = planLiquidationSlice(
      inputOf({
        liquidationPenaltyFraction: d(0),
        positions: [
          { ...ethLong, closeCostPerContract: d(1) },
          { ...solLong, closeCostPerContract: d(0) },
          { ...btcShort, initialMarginContribution: d(0) },
        ],
        targetRequirementReduction: d('1e9'),
      }),
    );
    expect(plan.closes.map((close) => close.instrumentId)).toEqual(['SOL-PERP', 'ETH-PERP']);
    expect(plan.closes[0]?.executionPrice.toFixed()).toBe('100');
  });

  describe('penalty direction', () => {
    it('sells a long below mark and buys a short back above mark (linear)', () => {
      const plan = planLiquidationSlice(inputOf({ targetRequirementReduction: d('1e9') }));
      const [long, , short] = plan.closes;
      expect(long?.closeQuantity.isNegative()).toBe(true);
      expect(long?.executionPrice.lt(long.markPrice)).toBe(true);
      expect(short?.closeQuantity.isPositive()).toBe(true);
      expect(short?.executionPrice.gt(short.markPrice)).toBe(true);
    });

    it('charges the coin PnL forgone on an inverse long, rounded up', () => {
      // Long 1,000 x 10 USD @ 50,000, cap 250: exec 49,750; penalty 250 x 10 x (1/49,750 - 1/50,000)
      // = 2,500 x 250 / (49,750 x 50,000) = 0.000251256... BTC, rounded up at 8 places: 0.00025126.
      const plan = planLiquidationSlice(
        inputOf({
          positions: [
            {
              instrumentId: 'BTC-USD-INV',
              instrument: btcInverse,
              quantity: d(1000),
              markPrice: d(50000),
              initialMarginContribution: d('0.2'),
            },
          ],
          targetRequirementReduction: d(1),
          settlementAssetScale: 8,
        }),
      );
      expect(summary(plan)).toEqual([['BTC-USD-INV', '-250', '49750', '0.00025126', '0.05']]);
    });

    it('rounds the penalty up to the scale', () => {
      // Long 1 @ 2,000.33: penalty 0.005 x 2,000.33 = 10.00165 -> 10.01.
      const plan = planLiquidationSlice(
        inputOf({
          positions: [{ ...ethLong, quantity: d(1), markPrice: d('2000.33') }],
          targetRequirementReduction: d(1),
        }),
      );
      expect(plan.closes[0]?.executionPrice.toFixed()).toBe('1990.32835');
      expect(plan.closes[0]?.penalty.toFixed()).toBe('10.01');
    });
  });

  describe('step rounding', () => {
    it.each<[string, string, string, string]>([
      ['7 contracts: 25 % = 1.75, down to 1', '7', '1', '-1'],
      ['3 contracts: 25 % = 0.75, at least one step', '3', '1', '-1'],
      ['one step: closes it, never flips', '1', '1', '-1'],
      ['0.03 with step 0.01: 0.0075, at least 0.01', '0.03', '0.01', '-0.01'],
      ['10.5 with step 0.5: 2.625, down to 2.5', '10.5', '0.5', '-2.5'],
    ])('%s', (_name, quantity, step, expected) => {
      const plan = planLiquidationSlice(
        inputOf({
          positions: [{ ...ethLong, quantity: d(quantity) }],
          quantitySteps: { 'ETH-PERP': d(step) },
          targetRequirementReduction: d('1e9'),
        }),
      );
      expect(plan.closes.map((close) => close.closeQuantity.toFixed())).toEqual([expected]);
    });
  });

  it.each<[string, Partial<PlanLiquidationSliceInput>, string]>([
    ['a missing step', { quantitySteps: {} }, 'MISSING_FIELD'],
    [
      'a quantity off the step',
      { quantitySteps: { 'BTC-PERP': d(3), 'ETH-PERP': d(1), 'SOL-PERP': d(1) } },
      'QUANTITY_STEP',
    ],
    ['a zero step', { quantitySteps: { 'BTC-PERP': d(0), 'ETH-PERP': d(1), 'SOL-PERP': d(1) } }, 'NON_POSITIVE_STEP'],
    ['a slice fraction above 1', { maxSliceFraction: d('1.5') }, 'OUT_OF_RANGE'],
    ['a zero slice fraction', { maxSliceFraction: d(0) }, 'OUT_OF_RANGE'],
    ['a penalty of 100 %', { liquidationPenaltyFraction: d(1) }, 'OUT_OF_RANGE'],
    ['a negative requirement', { positions: [{ ...ethLong, initialMarginContribution: d(-1) }] }, 'OUT_OF_RANGE'],
    ['a duplicate instrument', { positions: [ethLong, ethLong] }, 'INVALID_POSITION'],
    [
      'an id that is not the instrument',
      { positions: [{ ...ethLong, instrumentId: 'SOL-PERP' }] },
      'INSTRUMENT_MISMATCH',
    ],
  ])('refuses %s', (_name, overrides, code) => {
    const action = (): unknown => planLiquidationSlice(inputOf(overrides));
    expect(action).toThrow(ClearingError);
    expect(action).toThrow(new RegExp(`^${code}`));
  });
});

describe('planLiquidationSlice properties', () => {
  const positionArbitrary = fc.record({
    instrument: fc.constantFrom(eth, btc, sol, btcInverse),
    steps: fc.integer({ min: -5_000, max: 5_000 }),
    markTicks: fc.integer({ min: 1, max: 1_000_000 }),
    imUnits: fc.integer({ min: 0, max: 1_000_000 }),
    costUnits: fc.integer({ min: 0, max: 1_000 }),
  });
  const instrumentStep = (id: string): Decimal => (id === 'BTC-PERP' ? d(10) : id === 'SOL-PERP' ? d('0.1') : d(1));

  it('never closes beyond the slice (but one step), never flips, always against the account', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(positionArbitrary, { minLength: 1, maxLength: 4, selector: (p) => p.instrument.id }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        (randomPositions, slicePercent, penaltyBasisPoints, target) => {
          const maxSliceFraction = d(slicePercent).dividedBy(100);
          const positions = randomPositions.map((random): LiquidationPosition => ({
            instrumentId: random.instrument.id,
            instrument: random.instrument,
            quantity: instrumentStep(random.instrument.id).times(random.steps),
            markPrice: d(random.markTicks).times('0.5'),
            initialMarginContribution: d(random.imUnits).times('0.01'),
            closeCostPerContract: d(random.costUnits).times('0.001'),
          }));
          const plan = planLiquidationSlice(
            inputOf({
              positions,
              maxSliceFraction,
              liquidationPenaltyFraction: d(penaltyBasisPoints).dividedBy(10_000),
              targetRequirementReduction: d(target).times('0.01'),
              quantitySteps: Object.fromEntries(positions.map((p) => [p.instrumentId, instrumentStep(p.instrumentId)])),
              settlementAssetScale: 8,
            }),
          );
          for (const close of plan.closes) {
            const position = positions.find((p) => p.instrumentId === close.instrumentId);
            if (position === undefined) throw new Error('close of an unknown position');
            const step = instrumentStep(close.instrumentId);
            const magnitude = close.closeQuantity.abs();
            const cap = Decimal.max(
              position.quantity.abs().times(maxSliceFraction).dividedToIntegerBy(step).times(step),
              step,
            );
            expect(magnitude.mod(step).isZero()).toBe(true);
            expect(magnitude.gte(step)).toBe(true);
            expect(magnitude.lte(cap)).toBe(true);
            expect(magnitude.lte(position.quantity.abs())).toBe(true);
            expect(close.closeQuantity.isNegative()).toBe(!position.quantity.isNegative());
            const against = position.quantity.isNegative()
              ? close.executionPrice.gte(close.markPrice)
              : close.executionPrice.lte(close.markPrice);
            expect(against).toBe(true);
            expect(close.penalty.isNegative()).toBe(false);
          }
          // Everything before the last close left the target unreached: the plan stops once it is reached.
          const beforeLast = plan.closes
            .slice(0, -1)
            .reduce((sum, close) => sum.plus(close.requirementReduction), d(0));
          if (plan.closes.length > 0) expect(beforeLast.lt(d(target).times('0.01'))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
