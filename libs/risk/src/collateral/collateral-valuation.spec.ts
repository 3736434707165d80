import fc from 'fast-check';
import { Decimal } from '@novation/money';
import { CollateralError } from './collateral-error.js';
import type { CollateralHaircut } from './collateral-haircuts.js';
import { validateCollateralHaircuts } from './collateral-haircuts.js';
import type { CollateralValuationInput } from './collateral-valuation.js';
import { COLLATERAL_HOLDING_COUNT_MAX, valueCollateral } from './collateral-valuation.js';

const haircut = (initial: string, maintenance: string): CollateralHaircut => ({
  initial: new Decimal(initial),
  maintenance: new Decimal(maintenance),
});

const BASE_INPUT: CollateralValuationInput = {
  settlementAsset: 'USDC',
  holdings: [],
  prices: new Map([
    ['BTC', new Decimal('60000')],
    ['ETH', new Decimal('3000.03')],
  ]),
  haircuts: new Map([
    ['BTC', haircut('0.1', '0.05')],
    ['ETH', haircut('0.1', '0.05')],
  ]),
  scale: 2,
};

const holding = (asset: string, amount: string) => ({ asset, amount: new Decimal(amount) });

function expectCollateralError(run: () => unknown, code: string, field: string): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CollateralError);
    expect((error as CollateralError).code).toBe(code);
    expect((error as CollateralError).field).toBe(field);
    return;
  }
  throw new Error(`expected CollateralError ${code}`);
}

describe('valueCollateral', () => {
  it('values 1.5 BTC at 60,000 with 10% / 5% haircuts at 81,000 IM and 85,500 MM', () => {
    const result = valueCollateral({ ...BASE_INPUT, holdings: [holding('BTC', '1.5')] });
    expect(result.marketValue.toFixed()).toBe('90000');
    expect(result.initialMarginValue.toFixed()).toBe('81000');
    expect(result.maintenanceMarginValue.toFixed()).toBe('85500');
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]?.initialHaircut.toFixed()).toBe('0.1');
  });

  it('counts the settlement asset at par with no haircut unless one is configured', () => {
    const result = valueCollateral({ ...BASE_INPUT, holdings: [holding('USDC', '1234.56')] });
    expect(result.lines[0]?.price.toFixed()).toBe('1');
    expect(result.initialMarginValue.toFixed()).toBe('1234.56');
    expect(result.maintenanceMarginValue.toFixed()).toBe('1234.56');
  });

  it('rounds positive values down to the scale of the settlement asset', () => {
    // 0.333 x 3000.03 = 999.00999; x 0.9 = 899.108991; x 0.95 = 949.0594905.
    const result = valueCollateral({ ...BASE_INPUT, holdings: [holding('ETH', '0.333')] });
    expect(result.marketValue.toFixed()).toBe('999');
    expect(result.initialMarginValue.toFixed()).toBe('899.1');
    expect(result.maintenanceMarginValue.toFixed()).toBe('949.05');
  });

  it('counts a debt at its full value rounded away from zero, with no haircut benefit', () => {
    const result = valueCollateral({ ...BASE_INPUT, holdings: [holding('ETH', '-0.333')] });
    expect(result.marketValue.toFixed()).toBe('-999.01');
    expect(result.initialMarginValue.toFixed()).toBe('-999.01');
    expect(result.maintenanceMarginValue.toFixed()).toBe('-999.01');
  });

  it('nets a debt against haircut collateral and sorts lines by asset', () => {
    const result = valueCollateral({
      ...BASE_INPUT,
      holdings: [holding('USDC', '-10000'), holding('ETH', '0'), holding('BTC', '1.5')],
    });
    expect(result.lines.map((line) => line.asset)).toEqual(['BTC', 'ETH', 'USDC']);
    expect(result.marketValue.toFixed()).toBe('80000');
    expect(result.initialMarginValue.toFixed()).toBe('71000');
    expect(result.maintenanceMarginValue.toFixed()).toBe('75500');
  });

  it('rejects a missing price, a missing haircut and a duplicate asset, naming the field', () => {
    expectCollateralError(
      () => valueCollateral({ ...BASE_INPUT, holdings: [holding('SOL', '1')] }),
      'MISSING_PRICE',
      'prices[SOL]',
    );
    expectCollateralError(
      () =>
        valueCollateral({
          ...BASE_INPUT,
          prices: new Map([['SOL', new Decimal('150')]]),
          holdings: [holding('SOL', '1')],
        }),
      'MISSING_HAIRCUT',
      'haircuts[SOL]',
    );
    expectCollateralError(
      () => valueCollateral({ ...BASE_INPUT, holdings: [holding('BTC', '1'), holding('BTC', '2')] }),
      'DUPLICATE_ASSET',
      'holdings[1].asset',
    );
  });

  it('rejects non-finite amounts, bad prices, a settlement price other than 1, a bad scale and too many holdings', () => {
    expectCollateralError(
      () => valueCollateral({ ...BASE_INPUT, holdings: [holding('BTC', 'NaN')] }),
      'INVALID_AMOUNT',
      'holdings[0].amount',
    );
    expectCollateralError(
      () =>
        valueCollateral({ ...BASE_INPUT, prices: new Map([['BTC', new Decimal(0)]]), holdings: [holding('BTC', '1')] }),
      'INVALID_PRICE',
      'prices[BTC]',
    );
    expectCollateralError(
      () =>
        valueCollateral({
          ...BASE_INPUT,
          prices: new Map([['USDC', new Decimal('1.01')]]),
          holdings: [holding('USDC', '1')],
        }),
      'INVALID_PRICE',
      'prices[USDC]',
    );
    expectCollateralError(() => valueCollateral({ ...BASE_INPUT, scale: 19 }), 'INVALID_INPUT', 'scale');
    const tooMany = Array.from({ length: COLLATERAL_HOLDING_COUNT_MAX + 1 }, (_, index) => holding(`A${index}`, '1'));
    expectCollateralError(() => valueCollateral({ ...BASE_INPUT, holdings: tooMany }), 'INVALID_INPUT', 'holdings');
  });

  it('values IM <= MM <= market value for non-negative holdings', () => {
    const amountArbitrary = fc
      .bigInt({ min: 0n, max: 10n ** 15n })
      .map((units) => new Decimal(units.toString()).div(new Decimal(10).pow(8)));
    const haircutArbitrary = fc
      .tuple(fc.integer({ min: 0, max: 9_999 }), fc.integer({ min: 0, max: 9_999 }))
      .map(([first, second]) => ({
        initial: new Decimal(Math.max(first, second)).div(10_000),
        maintenance: new Decimal(Math.min(first, second)).div(10_000),
      }));
    const priceArbitrary = fc.integer({ min: 1, max: 10 ** 9 }).map((cents) => new Decimal(cents).div(100));
    const lineArbitrary = fc.record({ amount: amountArbitrary, haircut: haircutArbitrary, price: priceArbitrary });
    fc.assert(
      fc.property(fc.array(lineArbitrary, { maxLength: 8 }), fc.integer({ min: 0, max: 18 }), (lines, scale) => {
        const assets = lines.map((_, index) => `ASSET${index}`);
        const result = valueCollateral({
          settlementAsset: 'USDC',
          holdings: lines.map((line, index) => ({ asset: assets[index] ?? '', amount: line.amount })),
          prices: new Map(lines.map((line, index) => [assets[index] ?? '', line.price])),
          haircuts: new Map(lines.map((line, index) => [assets[index] ?? '', line.haircut])),
          scale,
        });
        expect(result.initialMarginValue.lte(result.maintenanceMarginValue)).toBe(true);
        expect(result.maintenanceMarginValue.lte(result.marketValue)).toBe(true);
        expect(result.initialMarginValue.gte(0)).toBe(true);
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});

describe('validateCollateralHaircuts', () => {
  it('accepts fractions in [0, 1) with initial >= maintenance', () => {
    expect(() =>
      validateCollateralHaircuts(
        new Map([
          ['BTC', haircut('0.1', '0.05')],
          ['USDC', haircut('0', '0')],
        ]),
      ),
    ).not.toThrow();
  });

  it.each([
    ['initial below maintenance', haircut('0.04', '0.05'), 'haircuts[BTC].initial'],
    ['a haircut of 1', haircut('1', '0.5'), 'haircuts[BTC].initial'],
    ['a negative haircut', haircut('0.1', '-0.01'), 'haircuts[BTC].maintenance'],
    ['a NaN haircut', haircut('0.1', 'NaN'), 'haircuts[BTC].maintenance'],
  ])('rejects %s', (_name, invalid, field) => {
    expectCollateralError(() => validateCollateralHaircuts(new Map([['BTC', invalid]])), 'INVALID_HAIRCUT', field);
  });
});
