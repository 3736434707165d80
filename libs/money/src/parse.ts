import { Decimal } from './decimal.js';

/** Plain decimal notation only: optional sign, digits, optional fraction. No exponent, no NaN, no Infinity. */
const DECIMAL_STRING = /^[-+]?(?:\d+)(?:\.\d+)?$/;

/** Longest decimal string accepted at a boundary: far above numeric(38,18), far below anything abusive. */
export const DECIMAL_STRING_LENGTH_MAX = 100;

export type DecimalParseErrorCode = 'NOT_A_STRING' | 'EMPTY' | 'TOO_LONG' | 'NOT_PLAIN_DECIMAL' | 'TOO_MANY_DECIMALS';

export class DecimalParseError extends Error {
  constructor(
    readonly code: DecimalParseErrorCode,
    readonly input: string,
  ) {
    super(`${code}: ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}...` : input)} is not a valid decimal`);
    this.name = 'DecimalParseError';
  }
}

export interface ParseDecimalOptions {
  /** Most digits allowed after the decimal point (the asset's precision). Exceeding it is an error, not a rounding. */
  readonly scaleMax?: number;
}

/**
 * Parses a decimal string received at a boundary (GraphQL, REST, job payload, parameter file) into a
 * Decimal. Rejects exponent notation, NaN, Infinity, hexadecimal, whitespace and JS numbers: a money
 * amount that arrived as a float has already lost precision, so it is refused rather than guessed.
 */
export function parseDecimal(input: unknown, options: ParseDecimalOptions = {}): Decimal {
  if (typeof input !== 'string') throw new DecimalParseError('NOT_A_STRING', String(input));
  if (input.length === 0) throw new DecimalParseError('EMPTY', input);
  if (input.length > DECIMAL_STRING_LENGTH_MAX) throw new DecimalParseError('TOO_LONG', input);
  if (!DECIMAL_STRING.test(input)) throw new DecimalParseError('NOT_PLAIN_DECIMAL', input);
  const value = new Decimal(input);
  if (options.scaleMax !== undefined && value.decimalPlaces() > options.scaleMax) {
    throw new DecimalParseError('TOO_MANY_DECIMALS', input);
  }
  return value;
}
