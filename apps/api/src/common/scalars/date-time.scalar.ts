import { GraphQLScalarType, Kind } from 'graphql';
import { InputException } from '../input.exception.js';

/** Full ISO-8601 date-time with a zone: 2026-11-25T12:00:00Z or 2026-11-25T12:00:00.123+01:00. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** An instant as an ISO-8601 string, always serialised at UTC with milliseconds. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant as an ISO-8601 string with a zone, serialised at UTC: 2026-11-25T12:00:00.000Z.',
  serialize(value: unknown): string {
    if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
    throw new TypeError('DateTime can only serialise a valid Date');
  },
  parseValue(value: unknown): Date {
    return parseDateTime(value);
  },
  parseLiteral(ast): Date {
    if (ast.kind !== Kind.STRING) throw new InputException('BAD_USER_INPUT', 'a DateTime literal must be a string');
    return parseDateTime(ast.value);
  },
});

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string' || value.length > 40 || !ISO_DATE_TIME.test(value)) {
    throw new InputException(
      'BAD_USER_INPUT',
      'invalid DateTime: use ISO-8601 with a zone, such as 2026-11-25T12:00:00Z',
    );
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InputException('BAD_USER_INPUT', 'invalid DateTime: not a real instant');
  return date;
}
