import fc from 'fast-check';
import { Decimal, roundRequirement } from '@novation/money';
import { scenarioMarginToDecimal, scenarioMarginToDecimalString, scenarioMarginToUnits } from './margin-to-decimal.js';
import { ScenarioMarginError } from './scenario-margin-error.js';

describe('scenarioMarginToDecimalString', () => {
  const reference = (amount: number, scale: number): string =>
    roundRequirement(new Decimal(amount.toString()), scale).toFixed();

  it.each([
    [0, 6, '0'],
    [0.1, 6, '0.1'],
    [0.1000001, 6, '0.100001'],
    [0.9999999, 6, '1'],
    [999.9999991, 6, '1000'],
    [12.5, 0, '13'],
    [1e-7, 6, '0.000001'],
    [1.5e22, 2, '15000000000000000000000'],
    [123456.123456, 6, '123456.123456'],
  ])('rounds %p up to %p places: %p', (amount, scale, expected) => {
    expect(scenarioMarginToDecimalString(amount, scale)).toBe(expected);
    expect(scenarioMarginToDecimal(amount, scale).toFixed()).toBe(expected);
  });

  it('agrees with decimal.js on random non-negative floats and scales', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e25, noNaN: true, noDefaultInfinity: true }),
        fc.integer({ min: 0, max: 18 }),
        (amount, scale) => {
          expect(scenarioMarginToDecimalString(amount, scale)).toBe(reference(amount, scale));
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('gives the same rounding as integer units, exactly', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e9, noNaN: true, noDefaultInfinity: true }),
        fc.integer({ min: 0, max: 6 }),
        (amount, scale) => {
          const units = scenarioMarginToUnits(amount, scale);
          expect(new Decimal(units).dividedBy(new Decimal(10).pow(scale)).toFixed()).toBe(
            scenarioMarginToDecimalString(amount, scale),
          );
        },
      ),
      { numRuns: 5_000 },
    );
    expect(scenarioMarginToUnits(0.1, 6)).toBe(100_000);
    expect(scenarioMarginToUnits(0.1000001, 6)).toBe(100_001);
    expect(() => scenarioMarginToUnits(1e12, 6)).toThrow(ScenarioMarginError);
  });

  it('agrees with decimal.js right next to unit boundaries, where the float fast path must step aside', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000_000_000_000 }),
        fc.double({ min: -1e-9, max: 1e-9, noNaN: true }),
        fc.integer({ min: 0, max: 8 }),
        (units, offset, scale) => {
          const amount = (units + offset * units) / 10 ** scale;
          expect(scenarioMarginToDecimalString(amount, scale)).toBe(reference(amount, scale));
          if (amount * 10 ** scale < 2 ** 50) {
            expect(
              new Decimal(scenarioMarginToUnits(amount, scale)).dividedBy(new Decimal(10).pow(scale)).toFixed(),
            ).toBe(reference(amount, scale));
          }
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('refuses negative, non-finite amounts and bad scales', () => {
    expect(() => scenarioMarginToDecimalString(-1, 6)).toThrow(ScenarioMarginError);
    expect(() => scenarioMarginToDecimalString(Number.NaN, 6)).toThrow(ScenarioMarginError);
    expect(() => scenarioMarginToDecimalString(1, 19)).toThrow(ScenarioMarginError);
  });
});
