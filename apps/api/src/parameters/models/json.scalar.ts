import { GraphQLScalarType } from 'graphql';

/**
 * Output-only JSON: a document the server validated before storing it (a risk parameter body), passed
 * through as a JSON value. Refused as input: nothing in this API accepts free-form JSON.
 */
export const JsonScalar = new GraphQLScalarType<never, unknown>({
  name: 'JSON',
  description: 'A JSON value, output only. Each field of this type documents the schema its value follows.',
  serialize(value: unknown): unknown {
    return value;
  },
  parseValue(): never {
    throw new TypeError('JSON is an output type');
  },
  parseLiteral(): never {
    throw new TypeError('JSON is an output type');
  },
});
