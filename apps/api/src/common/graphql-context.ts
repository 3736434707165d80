import type { FastifyRequest } from 'fastify';
import type { AccountLoaders } from '../accounts/account.loaders.js';
import type { Principal } from '../auth/principal.js';
import type { ResponseReads } from './read-model/response-cache.js';

/** What every resolver gets, built once per request by the Mercurius `context` option. */
export interface ApiGraphqlContext {
  readonly req: FastifyRequest;
  /** Null without a valid API key; protected resolvers refuse such requests (RolesGuard). */
  readonly principal: Principal | null;
  /** True when the key could not be checked (database unavailable), as opposed to a bad key. */
  readonly authenticationFailed: boolean;
  /**
   * Set when the key was not even looked up because this IP sent too many refused keys: the operation is
   * refused RATE_LIMITED before parsing (security.hooks.ts).
   */
  readonly refusedBeforeAuthentication?: { readonly retryAfterMs: number };
  /** Per-request DataLoaders: batch and cache reads within this request only. */
  readonly loaders: AccountLoaders;
  /** Set when the request's response may be cached: the read-model groups it reads are recorded here. */
  readonly reads?: ResponseReads | null;
}
