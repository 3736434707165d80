import { GraphQLError, type ExecutionResult } from 'graphql';
import type { MercuriusContext } from 'mercurius';
import { REQUEST_BODY_BYTES_MAX } from '@novation/platform';
import { formatGraphqlErrors } from '../common/graphql-error.mapper.js';
import { SecurityRefusal } from './security.exception.js';

type Execution = ExecutionResult & Required<Pick<ExecutionResult, 'errors'>>;
type Formatted = ReturnType<typeof formatGraphqlErrors>;

/**
 * The API's Mercurius `errorFormatter`: refusals of the abuse limits keep their code, their numeric
 * extensions (limits, `retryAfterMs`) and their HTTP status (400, 413, 429); everything else goes to
 * the common mapper (`formatGraphqlErrors`) unchanged. Like it, never a stack trace.
 */
export function formatApiErrors(execution: Execution, context: MercuriusContext): Formatted {
  const refusals: { refusal: SecurityRefusal; source: GraphQLError | undefined }[] = [];
  const others: GraphQLError[] = [];
  // Batching is off, so a JSON array body fails Mercurius's body schema: one refusal, whatever it held.
  const batched = Array.isArray((context.reply?.request as { body?: unknown } | undefined)?.body);
  const errors = batched
    ? [new SecurityRefusal('BATCH_NOT_ALLOWED', 'batched operations are not accepted; send one per request', 400)]
    : execution.errors;
  for (const error of errors) {
    const direct = refusalOf(error);
    if (direct !== null) {
      refusals.push({ refusal: direct, source: error instanceof GraphQLError ? error : undefined });
      continue;
    }
    if (!(error instanceof GraphQLError)) continue;
    const nested = (error.originalError as { errors?: unknown } | undefined)?.errors;
    if (Array.isArray(nested) && nested.some((inner) => refusalOf(inner) !== null)) {
      for (const inner of nested as unknown[]) {
        const refusal = refusalOf(inner);
        if (refusal === null) others.push(toGraphqlError(inner));
        else refusals.push({ refusal, source: inner instanceof GraphQLError ? inner : undefined });
      }
      continue;
    }
    others.push(error);
  }
  if (refusals.length === 0) return formatGraphqlErrors(execution, context);

  const first = refusals[0]?.refusal;
  const retryAfterMs = refusals.find(({ refusal }) => refusal.code === 'RATE_LIMITED')?.refusal.extensions[
    'retryAfterMs'
  ];
  if (retryAfterMs !== undefined) context.reply.header('retry-after', Math.max(1, Math.ceil(retryAfterMs / 1000)));
  const rest = others.length === 0 ? [] : formatGraphqlErrors({ errors: others }, context).response.errors;
  return {
    statusCode: first?.statusCode ?? 400,
    response: {
      data: null,
      errors: [
        ...refusals.map(({ refusal, source }) => ({
          message: refusal.message,
          ...(source?.locations === undefined ? {} : { locations: source.locations }),
          // The common mapper's type lists its own codes; these are the API's security codes.
          extensions: {
            ...refusal.extensions,
            code: refusal.code,
          } as unknown as Formatted['response']['errors'][number]['extensions'],
        })),
        ...rest,
      ],
    },
  };
}

/** The refusal an error is or carries; Fastify's and Mercurius's own limit errors become refusals too. */
function refusalOf(error: unknown): SecurityRefusal | null {
  if (error instanceof SecurityRefusal) return error;
  if (error instanceof GraphQLError) return error.originalError === undefined ? null : refusalOf(error.originalError);
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new SecurityRefusal('PAYLOAD_TOO_LARGE', `request body exceeds ${REQUEST_BODY_BYTES_MAX} bytes`, 413, {
        maxBytes: REQUEST_BODY_BYTES_MAX,
      });
    case 'MER_ERR_GQL_QUERY_DEPTH':
      return new SecurityRefusal('QUERY_TOO_DEEP', 'query depth exceeds the limit', 400);
    default:
      return null;
  }
}

function toGraphqlError(inner: unknown): GraphQLError {
  if (inner instanceof GraphQLError) return inner;
  return new GraphQLError(inner instanceof Error ? inner.message : String(inner));
}
