import { Logger } from '@nestjs/common';
import { GraphQLError, type ExecutionResult } from 'graphql';
import mercurius, { type MercuriusContext } from 'mercurius';
import { AccountsException, type AccountsExceptionCode } from '../accounts/accounts.exception.js';
import { AuthException, type AuthExceptionCode } from '../auth/auth.exception.js';
import { CollateralException, type CollateralExceptionCode } from '../collateral/collateral.exception.js';
import { TradingException, type TradingExceptionCode } from '../trading/trading.exception.js';
import { WhatIfException, type WhatIfExceptionCode } from '../what-if/what-if.exception.js';
import { InstrumentsException, type InstrumentsExceptionCode } from '../instruments/instruments.exception.js';
import { StatementsException, type StatementsExceptionCode } from '../statements/statements.exception.js';
import type { PublicErrorCode } from './error-code.js';
import { InputException, type InputExceptionCode } from './input.exception.js';

/** Every `extensions.code` this mapper emits: one list, documented in error-code.ts and the `ErrorCode` enum. */
export type { PublicErrorCode };

interface PublicError {
  readonly code: PublicErrorCode;
  readonly message: string;
  readonly field?: string;
}

interface FormattedError {
  readonly message: string;
  readonly locations?: readonly { line: number; column: number }[];
  readonly path?: readonly (string | number)[];
  readonly extensions: { code: PublicErrorCode; field?: string };
}

const INTERNAL_MESSAGE = 'Internal error';
const logger = new Logger('GraphQLErrors');

/**
 * The Mercurius `errorFormatter`: the one place errors become responses. Typed domain errors keep their
 * message and get a code (and the field at fault when known); GraphQL's own parse and validation errors
 * keep theirs; anything else is INTERNAL with a fixed message, logged here with its stack, which never
 * reaches the client.
 */
export function formatGraphqlErrors(
  execution: ExecutionResult & Required<Pick<ExecutionResult, 'errors'>>,
  context: MercuriusContext,
): { statusCode: number; response: { data: ExecutionResult['data'] | null; errors: FormattedError[] } } {
  // Mercurius's own formatter decides the HTTP status (400 for validation errors, else 200).
  const { statusCode } = mercurius.defaultErrorFormatter(execution, context);
  const errors = execution.errors.flatMap((error) => {
    const nested = (error.originalError as { errors?: unknown } | undefined)?.errors;
    // Mercurius reports validation failures as one error carrying graphql-js's errors.
    if (Array.isArray(nested)) return nested.map((inner) => formatOne(toGraphqlError(inner)));
    return [formatOne(error)];
  });
  return { statusCode, response: { data: execution.data ?? null, errors } };
}

function formatOne(error: GraphQLError): FormattedError {
  const mapped = publicError(error);
  if (mapped.code === 'INTERNAL') logger.error(error.originalError ?? error, error.path?.join('.'));
  return {
    message: mapped.message,
    ...(error.locations === undefined ? {} : { locations: error.locations }),
    ...(error.path === undefined ? {} : { path: error.path }),
    extensions: { code: mapped.code, ...(mapped.field === undefined ? {} : { field: mapped.field }) },
  };
}

function publicError(error: GraphQLError): PublicError {
  const cause = error.originalError;
  if (cause === undefined || cause === null || cause instanceof GraphQLError) {
    // graphql-js's syntax, validation and variable errors: they describe the request, not the server.
    return cause instanceof GraphQLError ? publicError(cause) : graphqlOwnError(error);
  }
  if (cause instanceof AuthException) return withField(authCode(cause.code), cause.message, cause.field);
  if (cause instanceof AccountsException) return withField(accountsCode(cause.code), cause.message, cause.field);
  if (cause instanceof TradingException) return withField(tradingCode(cause.code), cause.message, cause.field);
  if (cause instanceof CollateralException) return withField(collateralCode(cause.code), cause.message, cause.field);
  if (cause instanceof WhatIfException) return withField(whatIfCode(cause.code), cause.message, cause.field);
  if (cause instanceof StatementsException) return withField(statementsCode(cause.code), cause.message, cause.field);
  if (cause instanceof InstrumentsException) return withField(instrumentsCode(cause.code), cause.message, cause.field);
  if (cause instanceof InputException) return withField(inputCode(cause.code), cause.message, cause.field);
  if (isMercuriusClientError(cause)) return { code: 'BAD_REQUEST', message: cause.message };
  return { code: 'INTERNAL', message: INTERNAL_MESSAGE };
}

function graphqlOwnError(error: GraphQLError): PublicError {
  return { code: 'GRAPHQL_VALIDATION_FAILED', message: error.message };
}

function withField(code: PublicErrorCode, message: string, field: string | undefined): PublicError {
  return field === undefined ? { code, message } : { code, message, field };
}

function authCode(code: AuthExceptionCode): PublicErrorCode {
  switch (code) {
    case 'UNAUTHENTICATED':
      return 'UNAUTHENTICATED';
    case 'FORBIDDEN':
      return 'FORBIDDEN';
    case 'INVALID_API_KEY_REQUEST':
      return 'BAD_USER_INPUT';
    case 'UNKNOWN_API_KEY':
      return 'NOT_FOUND';
  }
}

function accountsCode(code: AccountsExceptionCode): PublicErrorCode {
  switch (code) {
    case 'NOT_A_MEMBER_FIRM_KEY':
      return 'FORBIDDEN';
  }
}

function tradingCode(code: TradingExceptionCode): PublicErrorCode {
  switch (code) {
    case 'NOT_A_VENUE_KEY':
      return 'FORBIDDEN';
    case 'INVALID_BATCH':
    case 'BATCH_TOO_LARGE':
      return 'BAD_USER_INPUT';
  }
}

function collateralCode(code: CollateralExceptionCode): PublicErrorCode {
  switch (code) {
    case 'NOT_A_MEMBER_FIRM_KEY':
      return 'FORBIDDEN';
    case 'ACCOUNT_NOT_FOUND':
      return 'NOT_FOUND';
    case 'INVALID_AMOUNT':
    case 'UNKNOWN_ASSET':
    case 'SAME_ACCOUNT':
      return 'BAD_USER_INPUT';
    case 'ACCOUNT_NOT_ACTIVE':
      return 'ACCOUNT_NOT_ACTIVE';
    case 'ACCOUNT_UNDER_MARGIN_CALL':
      return 'ACCOUNT_UNDER_MARGIN_CALL';
    case 'INSUFFICIENT_BALANCE':
      return 'INSUFFICIENT_BALANCE';
    case 'INITIAL_MARGIN_BREACH':
      return 'INITIAL_MARGIN_BREACH';
    case 'IDEMPOTENCY_KEY_REUSED':
      return 'IDEMPOTENCY_KEY_REUSED';
  }
}

function whatIfCode(code: WhatIfExceptionCode): PublicErrorCode {
  switch (code) {
    case 'UNKNOWN_INSTRUMENT':
      return 'NOT_FOUND';
    case 'UNKNOWN_UNDERLYING':
    case 'INVALID_SCENARIO':
    case 'CANNOT_MARGIN':
      return 'BAD_USER_INPUT';
    case 'MISSING_MARKET_DATA':
      return 'MISSING_MARKET_DATA';
  }
}

function statementsCode(code: StatementsExceptionCode): PublicErrorCode {
  switch (code) {
    case 'NOT_A_MEMBER_FIRM_KEY':
      return 'FORBIDDEN';
    case 'ACCOUNT_NOT_FOUND':
      return 'NOT_FOUND';
    case 'INVALID_DATE_RANGE':
      return 'BAD_USER_INPUT';
  }
}

function instrumentsCode(code: InstrumentsExceptionCode): PublicErrorCode {
  switch (code) {
    case 'INSTRUMENT_NOT_FOUND':
      return 'NOT_FOUND';
  }
}

function inputCode(code: InputExceptionCode): PublicErrorCode {
  switch (code) {
    case 'BAD_USER_INPUT':
      return 'BAD_USER_INPUT';
    case 'INVALID_CURSOR':
      return 'INVALID_CURSOR';
  }
}

/** Mercurius's request errors (query depth, batching, GET mutations): 4xx, with safe messages. */
function isMercuriusClientError(cause: Error): boolean {
  const { code, statusCode } = cause as { code?: unknown; statusCode?: unknown };
  return typeof code === 'string' && code.startsWith('MER_ERR_') && typeof statusCode === 'number' && statusCode < 500;
}

function toGraphqlError(inner: unknown): GraphQLError {
  if (inner instanceof GraphQLError) return inner;
  const message = inner instanceof Error ? inner.message : String(inner);
  return new GraphQLError(message);
}
