import type { MercuriusContext } from 'mercurius';
import type { ApiGraphqlContext } from '../common/graphql-context.js';
import { checkDocumentShape } from './query-limits.js';
import type { OperationRateLimiter } from './rate-limiter.js';
import { SecurityRefusal } from './security.exception.js';
import type { ApiSecurityOptions } from './security.options.js';

const TOO_MANY_REQUESTS = 429;

type HookContext = MercuriusContext &
  Partial<Pick<ApiGraphqlContext, 'principal' | 'req' | 'refusedBeforeAuthentication'>>;

/**
 * The Mercurius hooks of the abuse limits. `preParsing` runs once per GraphQL operation (not per HTTP
 * request), before the query text is even parsed: the rate limit counts operations and refuses cheaply.
 * `preValidation` runs only for a query not yet in Mercurius's validated-query cache, before graphql-js
 * validation: depth and aliases are counted in one walk of the document.
 */
export function securityHooks(limiter: OperationRateLimiter, options: ApiSecurityOptions) {
  return {
    preParsing: async (_schema: unknown, _source: string, context: HookContext): Promise<void> => {
      const refused = context.refusedBeforeAuthentication;
      if (refused !== undefined) {
        throw new SecurityRefusal(
          'RATE_LIMITED',
          `too many refused API keys from this address; retry in ${refused.retryAfterMs} ms`,
          TOO_MANY_REQUESTS,
          { retryAfterMs: refused.retryAfterMs },
        );
      }
      const principal = context.principal ?? null;
      const decision =
        principal === null
          ? await limiter.forAnonymous(context.req?.ip ?? context.reply.request.ip)
          : await limiter.forKey(principal.keyId);
      if (!decision.allowed) {
        throw new SecurityRefusal(
          'RATE_LIMITED',
          `too many operations; retry in ${decision.retryAfterMs} ms`,
          TOO_MANY_REQUESTS,
          { retryAfterMs: decision.retryAfterMs },
        );
      }
    },
    preValidation: (_schema: unknown, document: Parameters<typeof checkDocumentShape>[0]): Promise<void> => {
      checkDocumentShape(document, options.maxDepth, options.maxAliases);
      return Promise.resolve();
    },
  };
}
