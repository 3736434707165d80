import { Decimal } from '@novation/money';
import { Kind } from 'graphql';
import { InputException } from '../input.exception.js';
import { decodeCursor, encodeCursor } from '../pagination/cursor.js';
import { DateTimeScalar } from './date-time.scalar.js';
import { DecimalScalar } from './decimal.scalar.js';

describe('Decimal scalar', () => {
  it('serialises decimals and engine strings in plain notation', () => {
    expect(DecimalScalar.serialize(new Decimal('1e-7'))).toBe('0.0000001');
    expect(DecimalScalar.serialize(new Decimal('123456789012345678901234567890'))).toBe(
      '123456789012345678901234567890',
    );
    expect(DecimalScalar.serialize('-12.5')).toBe('-12.5');
    expect(() => DecimalScalar.serialize(1.5)).toThrow(TypeError);
  });

  it('passes canonical strings through and normalises or refuses every other string, like Decimal#toFixed', () => {
    const agrees = ['0', '-12.5', '0.0000001', '123456789012345678901234567890.123456789', '7'];
    for (const value of agrees) expect(DecimalScalar.serialize(value)).toBe(new Decimal(value).toFixed());
    expect(DecimalScalar.serialize('-0')).toBe('0');
    expect(DecimalScalar.serialize('1.50')).toBe('1.5');
    expect(DecimalScalar.serialize('007')).toBe('7');
    expect(DecimalScalar.serialize('-0.0')).toBe('0');
    for (const bad of ['NaN', '1e3', 'Infinity', ' 1', '', '1'.repeat(101)]) {
      expect(() => DecimalScalar.serialize(bad)).toThrow();
    }
  });

  it('parses plain decimal strings only', () => {
    expect(DecimalScalar.parseValue('-0.000001')).toEqual(new Decimal('-0.000001'));
    expect(DecimalScalar.parseLiteral({ kind: Kind.STRING, value: '42.5' })).toEqual(new Decimal('42.5'));
  });

  it.each([['NaN'], ['Infinity'], ['-Infinity'], ['1e3'], ['0x10'], [' 1'], [''], ['1'.repeat(101)], [1.5], [null]])(
    'refuses %p as BAD_USER_INPUT',
    (input) => {
      expect(() => DecimalScalar.parseValue(input)).toThrow(InputException);
    },
  );

  it('refuses number literals', () => {
    expect(() => DecimalScalar.parseLiteral({ kind: Kind.FLOAT, value: '1.5' })).toThrow(InputException);
  });
});

describe('DateTime scalar', () => {
  it('serialises at UTC with milliseconds and parses ISO-8601 with a zone', () => {
    expect(DateTimeScalar.serialize(new Date(Date.UTC(2026, 10, 25, 12)))).toBe('2026-11-25T12:00:00.000Z');
    expect(DateTimeScalar.parseValue('2026-11-25T13:00:00+01:00')).toEqual(new Date('2026-11-25T12:00:00Z'));
  });

  it.each([['2026-11-25'], ['2026-11-25T12:00:00'], ['2026-13-45T99:00:00Z'], ['yesterday'], [1_700_000_000_000]])(
    'refuses %p',
    (input) => {
      expect(() => DateTimeScalar.parseValue(input)).toThrow(InputException);
    },
  );
});

describe('cursors', () => {
  const UUID = /^[0-9a-f-]{36}$/;
  const id = '0b8e4c1e-6f5a-4d0e-9a7b-2c3d4e5f6a7b';

  it('round-trips and is opaque', () => {
    const cursor = encodeCursor('account', id);
    expect(cursor).not.toContain(id);
    expect(decodeCursor('account', cursor, UUID)).toBe(id);
  });

  it.each([
    ['garbage!'],
    [''],
    [encodeCursor('position', '0b8e4c1e-6f5a-4d0e-9a7b-2c3d4e5f6a7b')],
    [encodeCursor('account', 'x')],
  ])('refuses %p with INVALID_CURSOR', (cursor) => {
    expect(() => decodeCursor('account', cursor, UUID)).toThrow(
      expect.objectContaining({ code: 'INVALID_CURSOR', field: 'after' }),
    );
  });
});
