import fc from 'fast-check';
import { Decimal } from '@novation/money';
import { CanonicalJsonError, canonicalJson } from './canonical-json.js';

/** JSON values canonicalJson accepts: finite numbers, strings, booleans, null, arrays and plain objects. */
const jsonValue = fc.jsonValue().filter((value) => !Object.is(value, -0));

/** Rebuilds an object with its keys inserted in reverse order, to check that order is irrelevant. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value === 'object' && value !== null) {
    const reversed: Record<string, unknown> = {};
    for (const key of Object.keys(value).reverse()) {
      Object.defineProperty(reversed, key, {
        value: reverseKeys((value as Record<string, unknown>)[key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return reversed;
  }
  return value;
}

describe('canonicalJson', () => {
  it('sorts keys by code unit, without whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], B: { z: 0, é: 1, Z: 2 } })).toBe(
      '{"B":{"Z":2,"z":0,"é":1},"a":[true,null,"x"],"b":1}',
    );
  });

  it('writes Decimals as their toFixed string and -0 as 0', () => {
    expect(canonicalJson({ amount: new Decimal('1.50e3'), zero: -0 })).toBe('{"amount":"1500","zero":0}');
  });

  it.each([
    ['NaN', Number.NaN, 'NON_FINITE_NUMBER'],
    ['Infinity', Number.POSITIVE_INFINITY, 'NON_FINITE_NUMBER'],
    ['a NaN Decimal', new Decimal(Number.NaN), 'NON_FINITE_DECIMAL'],
    ['undefined', undefined, 'UNDEFINED_VALUE'],
    ['a bigint', 10n, 'UNSUPPORTED_TYPE'],
    ['a function', () => 1, 'UNSUPPORTED_TYPE'],
    ['a symbol', Symbol('s'), 'UNSUPPORTED_TYPE'],
    ['a Date', new Date(0), 'UNSUPPORTED_TYPE'],
  ])('refuses %s with a typed error naming the path', (_name, value, code) => {
    expect(() => canonicalJson({ outer: [value] })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ outer: [value] })).toThrow(expect.objectContaining({ code, path: 'outer.0' }));
  });

  it('refuses circular references', () => {
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(() => canonicalJson(cycle)).toThrow(expect.objectContaining({ code: 'CIRCULAR_REFERENCE' }));
  });

  it('does not depend on key insertion order', () => {
    fc.assert(fc.property(jsonValue, (value) => canonicalJson(reverseKeys(value)) === canonicalJson(value)));
  });

  it('is stable through JSON.parse: canonicalJson(parse(canonicalJson(x))) = canonicalJson(x)', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        const text = canonicalJson(value);
        return canonicalJson(JSON.parse(text)) === text;
      }),
    );
  });
});
