import type { FastifyRequest } from 'fastify';
import type { AccountLoaderFactory } from '../accounts/account.loaders.js';
import type { ApiKeyService } from '../auth/api-key.service.js';
import type { ApiGraphqlContext } from './graphql-context.js';

/**
 * The Mercurius `context` option: resolves the API key once per request (public queries such as
 * `version` need none, so a missing or bad key is not an error here; `@Roles` refuses it later) and
 * creates the request's DataLoaders.
 */
export function graphqlContextFactory(
  apiKeys: ApiKeyService,
  loaders: AccountLoaderFactory,
): (request: FastifyRequest) => Promise<ApiGraphqlContext> {
  return async (request) => {
    const authorization = request.headers.authorization;
    try {
      const principal = authorization === undefined ? null : await apiKeys.authenticate(authorization);
      return { req: request, principal, authenticationFailed: false, loaders: loaders.create() };
    } catch (error) {
      // The key store did not answer: public queries still work; guarded ones fail as INTERNAL (logged
      // there), never as UNAUTHENTICATED, which would tell a client with a good key to drop it.
      request.log.error({ err: error }, 'API key authentication failed');
      return { req: request, principal: null, authenticationFailed: true, loaders: loaders.create() };
    }
  };
}
