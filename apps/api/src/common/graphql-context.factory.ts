import type { FastifyRequest } from 'fastify';
import type { AccountLoaderFactory } from '../accounts/account.loaders.js';
import type { ApiKeyService } from '../auth/api-key.service.js';
import type { FailedAuthenticationGate } from '../security/failed-authentication.gate.js';
import type { ApiGraphqlContext } from './graphql-context.js';
import { responseReadsOf } from './read-model/response-cache.hooks.js';

/**
 * The Mercurius `context` option: resolves the API key once per request (public queries such as
 * `version` need none, so a missing or bad key is not an error here; `@Roles` refuses it later) and
 * creates the request's DataLoaders.
 */
export function graphqlContextFactory(
  apiKeys: ApiKeyService,
  loaders: AccountLoaderFactory,
  gate: FailedAuthenticationGate,
): (request: FastifyRequest) => Promise<ApiGraphqlContext> {
  return async (request) => {
    const authorization = request.headers.authorization;
    // Recorded only for a request the response cache may fill (see response-cache.hooks.ts).
    const reads = responseReadsOf(request);
    try {
      if (authorization === undefined) {
        return { req: request, principal: null, authenticationFailed: false, loaders: loaders.create() };
      }
      // An IP that sent too many refused keys gets no database lookup until its limit allows one again.
      const gateDecision = gate.check(request.ip, authorization);
      if (!gateDecision.allowed) {
        return {
          req: request,
          principal: null,
          authenticationFailed: false,
          loaders: loaders.create(),
          refusedBeforeAuthentication: { retryAfterMs: gateDecision.retryAfterMs },
        };
      }
      const principal = await apiKeys.authenticate(authorization);
      if (principal === null) await gate.recordFailure(request.ip);
      else gate.recordSuccess(authorization);
      return { req: request, principal, authenticationFailed: false, loaders: loaders.create(reads), reads };
    } catch (error) {
      // The key store did not answer: public queries still work; guarded ones fail as INTERNAL (logged
      // there), never as UNAUTHENTICATED, which would tell a client with a good key to drop it.
      request.log.error({ err: error }, 'API key authentication failed');
      return { req: request, principal: null, authenticationFailed: true, loaders: loaders.create() };
    }
  };
}
