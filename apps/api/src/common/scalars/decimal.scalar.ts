import { type Decimal, DecimalParseError, isDecimal, parseDecimal } from '@novation/money';
import { GraphQLScalarType, Kind } from 'graphql';
import { InputException } from '../input.exception.js';

/**
 * Exact decimal amounts as strings ("1234.5"): a JSON number would be a binary float and lose money.
 * Input is accepted from a string only and through `parseDecimal`, which refuses NaN, Infinity,
 * exponents and over-long input; output is plain notation (`Decimal#toFixed`), never an exponent.
 */
export const DecimalScalar = new GraphQLScalarType<Decimal, string>({
  name: 'Decimal',
  description: 'An exact decimal number as a string in plain notation, such as "-1234.5". Never a JSON number.',
  serialize(value: unknown): string {
    if (isDecimal(value)) return value.toFixed();
    // Engine results (margin receipts) already hold decimal strings: re-parsed so nothing else leaks out.
    if (typeof value === 'string') return parseDecimal(value).toFixed();
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
