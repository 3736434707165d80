import { Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { GraphQLError, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { MercuriusContext } from 'mercurius';
import type { AccountLoaderFactory } from '../accounts/account.loaders.js';
import type { ApiKeyService } from '../auth/api-key.service.js';
import type { Principal } from '../auth/principal.js';
import type { ApiGraphqlContext } from '../common/graphql-context.js';
import { checkDocumentShape, noIntrospectionRule, queryCostRule } from '../security/query-limits.js';
import type { OperationRateLimiter } from '../security/rate-limiter.js';
import { formatApiErrors } from '../security/security-error.formatter.js';
import { SecurityRefusal } from '../security/security.exception.js';
import type { ApiSecurityOptions } from '../security/security.options.js';

/** Most subscriptions one socket may hold at once: each costs a pubsub listener and a filter. */
export const SUBSCRIPTIONS_PER_CONNECTION_MAX = 10;
/** Server pings this often (graphql-transport-ws `ping`); a peer that vanished is noticed by the failed send. */
export const SUBSCRIPTION_KEEP_ALIVE_MS = 30_000;

/**
 * Close codes of a refused connection_init (graphql-ws uses 4401/4403 the same way; a client must not
 * retry 4401/4403 with the same key, and may retry 4429 and 1011 later).
 */
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_TOO_MANY_REQUESTS = 4429;
export const CLOSE_INTERNAL_ERROR = 1011;

/** Per socket: its subscriptions in flight (shared by every operation of the socket). */
export interface SubscriptionConnectionState {
  active: number;
}

/** The context of a subscription operation: the API's context plus what Mercurius adds for sockets. */
export interface SubscriptionGraphqlContext extends Omit<ApiGraphqlContext, 'req'> {
  readonly principal: Principal;
  readonly subscriptionConnection: SubscriptionConnectionState;
  readonly app: FastifyInstance;
  readonly pubsub: { subscribe(topic: string): Promise<AsyncIterable<unknown>> };
}

interface ConnectionInitMessage {
  readonly payload?: unknown;
}

/** What Mercurius calls `onConnect` on: its SubscriptionConnection (socket and request are all we read). */
interface MercuriusSubscriptionConnection {
  readonly socket?: { close(code: number, reason: string): void };
  readonly context?: { readonly request?: { readonly ip?: string } };
}

const logger = new Logger('Subscriptions');

/** The `Authorization` value of connection_init's payload (`{ authorization }` or `{ headers: { authorization } }`). */
export function authorizationOf(payload: unknown): string | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const record = payload as Record<string, unknown>;
  const headers = record['headers'];
  const value =
    record['authorization'] ??
    record['Authorization'] ??
    (typeof headers === 'object' && headers !== null
      ? (headers as Record<string, unknown>)['authorization']
      : undefined);
  return typeof value === 'string' ? value : null;
}

/**
 * Mercurius's `onConnect`: authenticates connection_init with the API key in its payload, with the same
 * validation as HTTP, and admits member keys only. A refusal closes the socket with a code a client can act
 * on (4401 bad or missing key, 4403 not a member key, 4429 too many attempts, 1011 key store down) rather
 * than Mercurius's own codeless close. Mercurius calls it as a method of its connection, whose `socket`
 * is how we close with a code; without one (a Mercurius change) the refusal still happens, codeless.
 */
export function subscriptionOnConnect(
  apiKeys: ApiKeyService,
  loaders: AccountLoaderFactory,
  limiter: OperationRateLimiter,
) {
  return async function onConnect(
    this: MercuriusSubscriptionConnection | undefined,
    message: ConnectionInitMessage,
  ): Promise<Omit<SubscriptionGraphqlContext, 'app' | 'pubsub'> | false> {
    const refuse = (code: number, reason: string): false => {
      this?.socket?.close(code, reason);
      return false;
    };
    const authorization = authorizationOf(message.payload);
    let principal: Principal | null;
    try {
      principal = authorization === null ? null : await apiKeys.authenticate(authorization);
    } catch (error) {
      logger.error({ err: error }, 'API key authentication failed at connection_init');
      return refuse(CLOSE_INTERNAL_ERROR, 'API key authentication unavailable');
    }
    if (principal === null) {
      // Failed attempts count against the client's address, like anonymous HTTP operations.
      const decision = await limiter.forAnonymous(this?.context?.request?.ip ?? 'unknown');
      if (!decision.allowed) return refuse(CLOSE_TOO_MANY_REQUESTS, 'Too many requests');
      return refuse(CLOSE_UNAUTHORIZED, 'Unauthorized: a valid API key is required');
    }
    if (principal.role !== 'member' || principal.memberFirmId === null) {
      return refuse(CLOSE_FORBIDDEN, 'Forbidden: subscriptions are for member keys');
    }
    return { principal, authenticationFailed: false, loaders: loaders.create(), subscriptionConnection: { active: 0 } };
  };
}

/**
 * The abuse limits for subscription operations, which Mercurius runs outside the HTTP hooks: each start
 * counts as one operation of the key (the HTTP rate limit), its depth and aliases are checked, and the
 * document is validated with the cost rule (Mercurius subscribes without validating).
 */
export function subscriptionSecurityHooks(limiter: OperationRateLimiter, options: ApiSecurityOptions) {
  const rules = [
    ...specifiedRules,
    queryCostRule(options.maxCost),
    ...(options.introspection ? [] : [noIntrospectionRule]),
  ];
  return {
    preSubscriptionParsing: async (
      _schema: GraphQLSchema,
      _source: string,
      context: MercuriusContext,
    ): Promise<void> => {
      const { principal } = context as unknown as SubscriptionGraphqlContext;
      const decision = await limiter.forKey(principal.keyId);
      if (!decision.allowed) {
        throw refusalError(
          new SecurityRefusal('RATE_LIMITED', `too many operations; retry in ${decision.retryAfterMs} ms`, 429, {
            retryAfterMs: decision.retryAfterMs,
          }),
        );
      }
    },
    preSubscriptionExecution: (
      schema: GraphQLSchema,
      document: DocumentNode,
      context: MercuriusContext,
    ): Promise<void> => {
      const { app } = context as unknown as SubscriptionGraphqlContext;
      try {
        checkDocumentShape(document, options.maxDepth, options.maxAliases);
      } catch (error) {
        return Promise.reject(toSubscriptionError(error, app));
      }
      const [first] = validate(schema, document, rules);
      return first === undefined ? Promise.resolve() : Promise.reject(toSubscriptionError(first, app));
    },
  };
}

/**
 * An error for a subscription operation, in the shape the HTTP path gives it: Mercurius sends errors of a
 * subscription start without the API's errorFormatter, so the one mapper (formatApiErrors) is applied here.
 */
export function toSubscriptionError(error: unknown, app: FastifyInstance): GraphQLError {
  const refusal = refusalOf(error);
  if (refusal !== null) return refusalError(refusal);
  const graphqlError =
    error instanceof GraphQLError
      ? error
      : new GraphQLError(error instanceof Error ? error.message : String(error), {
          ...(error instanceof Error ? { originalError: error } : {}),
        });
  // No reply: the formatter logs through `app` (a socket has no HTTP reply to set a status on).
  const { response } = formatApiErrors({ errors: [graphqlError] }, { app } as unknown as MercuriusContext);
  const [formatted] = response.errors;
  if (formatted === undefined) return new GraphQLError('Internal error', { extensions: { code: 'INTERNAL' } });
  return new GraphQLError(formatted.message, { extensions: { ...formatted.extensions } });
}

function refusalOf(error: unknown): SecurityRefusal | null {
  if (error instanceof SecurityRefusal) return error;
  if (error instanceof GraphQLError && error.originalError instanceof SecurityRefusal) return error.originalError;
  return null;
}

function refusalError(refusal: SecurityRefusal): GraphQLError {
  return new GraphQLError(refusal.message, { extensions: { ...refusal.extensions, code: refusal.code } });
}
