import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { MercuriusContext } from 'mercurius';
import type { ApiGraphqlContext } from '../graphql-context.js';
import type { ReadModelService } from './read-model.service.js';
import { markCacheableDocument, markResolved } from './response-cache.hooks.js';

/** Marks, on the request's context, an operation that may have changed data. */
const MUTATION = Symbol('novation.mutation');

type FlaggedContext = MercuriusContext &
  Partial<Pick<ApiGraphqlContext, 'principal' | 'req'>> & { [MUTATION]?: boolean };

/**
 * Read-your-writes for the read model: after a mutation has run, and before its response is sent, wait
 * until the caches have applied every change committed so far (ReadModelService.sync). Queries pay nothing.
 * They also tell the response cache (response-cache.hooks.ts) whether a request's document is cacheable
 * and whether it ran without errors, and for which key.
 */
export function readModelHooks(readModel: ReadModelService) {
  return {
    preExecution: (schema: GraphQLSchema, document: DocumentNode, context: FlaggedContext): Promise<void> => {
      if (document.definitions.some((node) => node.kind === 'OperationDefinition' && node.operation === 'mutation')) {
        context[MUTATION] = true;
      }
      markCacheableDocument(schema, document, context.req);
      return Promise.resolve();
    },
    onResolution: async (
      execution: { readonly errors?: readonly unknown[] },
      context: FlaggedContext,
    ): Promise<void> => {
      markResolved(execution.errors, context.principal?.keyId ?? null, context.req);
      if (context[MUTATION] === true) await readModel.sync();
    },
  };
}
