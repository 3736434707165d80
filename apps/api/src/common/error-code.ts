import { registerEnumType } from '@nestjs/graphql';
import type { SecurityRefusalCode } from '../security/security.exception.js';

/**
 * Every `extensions.code` the common error mapper (graphql-error.mapper.ts) can emit, with what it means to
 * a client. The one list: `PublicErrorCode` is derived from its keys, so a code the mapper returns that is
 * not documented here (or the reverse, once removed here) fails to compile.
 */
export const PUBLIC_ERROR_CODE_DESCRIPTIONS = {
  UNAUTHENTICATED: 'No valid API key was sent: send `Authorization: Bearer <key>`.',
  FORBIDDEN: "The API key's role may not call this field.",
  BAD_USER_INPUT: 'An argument was refused; `extensions.field` names it. Nothing changed.',
  INVALID_CURSOR: 'The `after` cursor was not handed out by this list.',
  NOT_FOUND: "No such object for this caller: a missing id and another firm's id look exactly alike.",
  IDEMPOTENCY_KEY_REUSED: 'The idempotency key was already used with a different payload.',
  INSUFFICIENT_BALANCE: 'The account does not hold enough of the asset.',
  INITIAL_MARGIN_BREACH: 'The operation would leave the account below its initial margin.',
  ACCOUNT_NOT_ACTIVE: 'The account is frozen or closed.',
  ACCOUNT_UNDER_MARGIN_CALL: 'The account has an open margin call; only risk-reducing operations are accepted.',
  MISSING_MARKET_DATA: 'A price or volatility the computation needs has not been published.',
  GRAPHQL_VALIDATION_FAILED: 'The document does not parse or does not validate against the schema.',
  BAD_REQUEST: 'The HTTP request itself was refused (such as a mutation over GET).',
  INTERNAL: 'A server fault, logged on the server; retrying later may succeed.',
} as const satisfies Readonly<Record<string, string>>;

export type PublicErrorCode = keyof typeof PUBLIC_ERROR_CODE_DESCRIPTIONS;

/**
 * The abuse-limit refusals of apps/api/src/security (security-error.formatter.ts emits them before or
 * instead of the common mapper). Typed by `SecurityRefusalCode`, so a new refusal code must be listed here.
 */
export const SECURITY_ERROR_CODE_DESCRIPTIONS: Readonly<Record<SecurityRefusalCode, string>> = {
  QUERY_TOO_DEEP: 'The operation nests deeper than the limit (`extensions.maxDepth`).',
  TOO_MANY_ALIASES: 'The operation uses more aliases than the limit (`extensions.maxAliases`).',
  QUERY_TOO_COSTLY: 'The operation would cost more than the limit (`extensions.maxCost`): ask for smaller pages.',
  INTROSPECTION_DISABLED: 'Introspection is off in this environment; use the published schema.gql.',
  BATCH_NOT_ALLOWED: 'Batched operations are refused: send one operation per request.',
  PAYLOAD_TOO_LARGE: 'The request body exceeds the limit (`extensions.maxBytes`).',
  RATE_LIMITED: 'Too many operations for this key: retry after `extensions.retryAfterMs` (also `Retry-After`).',
};

/** Every code a client of the member API can see in `extensions.code`. */
export type ApiErrorCode = PublicErrorCode | SecurityRefusalCode;

const ALL_DESCRIPTIONS: Readonly<Record<ApiErrorCode, string>> = {
  ...PUBLIC_ERROR_CODE_DESCRIPTIONS,
  ...SECURITY_ERROR_CODE_DESCRIPTIONS,
};

/** All codes, sorted: the values of the GraphQL `ErrorCode` enum. */
export const API_ERROR_CODES: readonly ApiErrorCode[] = (Object.keys(ALL_DESCRIPTIONS) as ApiErrorCode[]).sort();

/** The GraphQL enum object: each code is its own value, so `extensions.code` strings equal enum names. */
export const ErrorCode = Object.fromEntries(API_ERROR_CODES.map((code) => [code, code])) as {
  readonly [Code in ApiErrorCode]: Code;
};

registerEnumType(ErrorCode, {
  name: 'ErrorCode',
  description:
    'Every value `extensions.code` of a GraphQL error can take. Listed for client code generation; the ' +
    'description of each value says what it means and what to do.',
  valuesMap: Object.fromEntries(API_ERROR_CODES.map((code) => [code, { description: ALL_DESCRIPTIONS[code] }])),
});
