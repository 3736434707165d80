import { DecimalParseError, parseDecimal, roundPayout, roundRequirement, Decimal } from './index.js';

describe('parseDecimal', () => {
  it.each(['0', '-0', '1', '-1.5', '+2.25', '12345678901234567890.123456789012345678'])(
    'accepts %s exactly',
    (input) => {
      expect(parseDecimal(input).eq(new Decimal(input))).toBe(true);
    },
  );

  it.each([
    ['1e5', 'NOT_PLAIN_DECIMAL'],
    ['NaN', 'NOT_PLAIN_DECIMAL'],
    ['Infinity', 'NOT_PLAIN_DECIMAL'],
    ['0x10', 'NOT_PLAIN_DECIMAL'],
    [' 1', 'NOT_PLAIN_DECIMAL'],
    ['1.', 'NOT_PLAIN_DECIMAL'],
    ['', 'EMPTY'],
  ])('rejects %s with %s', (input, code) => {
    expect(() => parseDecimal(input)).toThrow(DecimalParseError);
    try {
      parseDecimal(input);
    } catch (error) {
      expect((error as DecimalParseError).code).toBe(code);
    }
  });

  it('rejects JS numbers, which may already have lost precision', () => {
    expect(() => parseDecimal(0.1)).toThrow(DecimalParseError);
  });

  it('rejects more decimals than the scale allows instead of rounding', () => {
    expect(() => parseDecimal('1.123', { scaleMax: 2 })).toThrow(/TOO_MANY_DECIMALS/);
    expect(parseDecimal('1.12', { scaleMax: 2 }).toFixed()).toBe('1.12');
  });
});

describe('rounding policy', () => {
  it('rounds requirements away from zero and payouts toward zero', () => {
    expect(roundRequirement(new Decimal('1.0000001'), 2).toFixed()).toBe('1.01');
    expect(roundPayout(new Decimal('1.0099999'), 2).toFixed()).toBe('1');
    expect(roundRequirement(new Decimal('-1.001'), 2).toFixed()).toBe('-1.01');
  });
});
