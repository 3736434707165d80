export { Decimal, ONE, ZERO, isDecimal } from './decimal.js';
export type { DecimalSource } from './decimal.js';
export { DECIMAL_STRING_LENGTH_MAX, DecimalParseError, parseDecimal } from './parse.js';
export type { DecimalParseErrorCode, ParseDecimalOptions } from './parse.js';
export { roundEquity, roundPayout, roundRequirement } from './rounding.js';
