import { type Decimal, DecimalParseError, isDecimal, parseDecimal } from '@novation/money';
import { GraphQLScalarType, Kind } from 'graphql';
import { InputException } from '../input.exception.js';

/**
 * Exact decimal amounts as strings ("1234.5"): a JSON number would be a binary float and lose money.
 * Input is accepted from a string only and through `parseDecimal`, which refuses NaN, Infinity,
 * exponents and over-long input; output is plain notation (`Decimal#toFixed`), never an exponent.
 */
/**
 * A decimal string already in the form `Decimal#toFixed` prints (no exponent, no leading zeros, no
 * trailing fractional zeros, not "-0"), short enough that parseDecimal would accept it: serialised as it
 * is. Engine results hold such strings; parsing each of a response's hundred-odd amounts into a Decimal
 * only to print it again was a visible share of the account-margin query's CPU time.
 */
const CANONICAL_DECIMAL = /^-?(?:0|[1-9][0-9]{0,39})(?:\.[0-9]{0,39}[1-9])?$/;

export const DecimalScalar = new GraphQLScalarType<Decimal, string>({
  name: 'Decimal',
  description: 'An exact decimal number as a string in plain notation, such as "-1234.5". Never a JSON number.',
  serialize(value: unknown): string {
    if (isDecimal(value)) return value.toFixed();
    // Engine results (margin receipts) already hold decimal strings: canonical ones go out as they are,
    // anything else is re-parsed, so nothing but a plain decimal ever leaks out.
    if (typeof value === 'string') {
      return CANONICAL_DECIMAL.test(value) && value !== '-0' ? value : parseDecimal(value).toFixed();
    }
    throw new TypeError(`Decimal cannot serialise a ${typeof value}`);
  },
  parseValue(value: unknown): Decimal {
    return parseDecimalInput(value);
  },
  parseLiteral(ast): Decimal {
    if (ast.kind !== Kind.STRING) {
      throw new InputException('BAD_USER_INPUT', 'a Decimal literal must be a string such as "1.5"');
    }
    return parseDecimalInput(ast.value);
  },
});

function parseDecimalInput(value: unknown): Decimal {
  try {
    return parseDecimal(value);
  } catch (error) {
    if (error instanceof DecimalParseError) {
      throw new InputException('BAD_USER_INPUT', `invalid Decimal (${error.code}): use a plain decimal string`);
    }
    throw error;
  }
}
