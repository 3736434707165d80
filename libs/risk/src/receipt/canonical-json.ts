import { isDecimal } from '@novation/money';

/**
 * Why a value has no canonical JSON form. One code per refusal, so a receipt never hashes a value that
 * another implementation would serialise differently.
 * - NON_FINITE_NUMBER: NaN or +/-Infinity (JSON has no spelling for them; JSON.stringify writes null).
 * - NON_FINITE_DECIMAL: a Decimal that is NaN or infinite.
 * - UNDEFINED_VALUE: undefined, in an array or as a property value (JSON.stringify would drop or null it).
 * - UNSUPPORTED_TYPE: a function, symbol, bigint or a non-plain object (Date, Map, class instance).
 * - CIRCULAR_REFERENCE: an object that contains itself.
 */
export type CanonicalJsonErrorCode =
  'NON_FINITE_NUMBER' | 'NON_FINITE_DECIMAL' | 'UNDEFINED_VALUE' | 'UNSUPPORTED_TYPE' | 'CIRCULAR_REFERENCE';

export class CanonicalJsonError extends Error {
  constructor(
    readonly code: CanonicalJsonErrorCode,
    /** Where the value sits, as a dotted path from the root ('' for the root itself). */
    readonly path: string,
    detail: string,
  ) {
    super(`${code} at ${path === '' ? '(root)' : path}: ${detail}`);
    this.name = 'CanonicalJsonError';
  }
}

/**
 * Deterministic JSON for hashing: the same value always gives the same bytes, whatever the key order
 * it was built in, so two parties can compare SHA-256 digests of margin inputs.
 *
 * Rules (a subset of RFC 8785 that needs no float formatting of its own):
 * - object keys sorted by UTF-16 code unit (Array.prototype.sort without a comparator), not by locale,
 *   so the order does not depend on the machine's ICU data;
 * - no whitespace; arrays keep their order; strings escaped as JSON.stringify does;
 * - numbers must be finite; -0 is written as 0 (JSON.stringify does so, and -0 === 0 in every margin
 *   comparison, so the two must not hash differently);
 * - Decimal instances are written as the JSON string of `toFixed()`: exact, no exponent, so a money
 *   amount hashes identically whether it arrived as a Decimal or as its decimal string;
 * - undefined, functions, symbols and non-plain objects are refused. bigint is refused too rather than
 *   written as a tagged string: a tag would collide with a genuine string of the same text, and no
 *   margin input is a bigint (convert it to a decimal string at the boundary).
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, '', new Set<object>());
}

function serialise(value: unknown, path: string, ancestors: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError('NON_FINITE_NUMBER', path, String(value));
      return JSON.stringify(value);
    case 'undefined':
      throw new CanonicalJsonError('UNDEFINED_VALUE', path, 'undefined has no JSON form');
    case 'object':
      return serialiseObject(value, path, ancestors);
    case 'bigint':
    case 'function':
    case 'symbol':
      throw new CanonicalJsonError('UNSUPPORTED_TYPE', path, `a ${typeof value} has no canonical JSON form`);
  }
  // Unreachable (the switch covers every typeof result); kept because TypeScript cannot prove it.
  throw new CanonicalJsonError('UNSUPPORTED_TYPE', path, 'unknown type');
}

function serialiseObject(value: object, path: string, ancestors: Set<object>): string {
  if (isDecimal(value)) {
    if (!value.isFinite()) throw new CanonicalJsonError('NON_FINITE_DECIMAL', path, value.toString());
    return JSON.stringify(value.toFixed());
  }
  if (ancestors.has(value)) throw new CanonicalJsonError('CIRCULAR_REFERENCE', path, 'the value contains itself');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const items: unknown[] = value;
      return `[${items.map((item, index) => serialise(item, joinPath(path, String(index)), ancestors)).join(',')}]`;
    }
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      throw new CanonicalJsonError('UNSUPPORTED_TYPE', path, 'only plain objects, arrays and Decimals are allowed');
    }
    const record = value as Readonly<Record<string, unknown>>;
    const members = Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${serialise(record[key], joinPath(path, key), ancestors)}`);
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(value);
  }
}

function joinPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
