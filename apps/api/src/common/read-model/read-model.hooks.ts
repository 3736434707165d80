import type { DocumentNode } from 'graphql';
import type { MercuriusContext } from 'mercurius';
import type { ReadModelService } from './read-model.service.js';

/** Marks, on the request's context, an operation that may have changed data. */
const MUTATION = Symbol('novation.mutation');

type FlaggedContext = MercuriusContext & { [MUTATION]?: boolean };

/**
 * Read-your-writes for the read model: after a mutation has run, and before its response is sent, wait
 * until the caches have applied every change committed so far (ReadModelService.sync). Queries pay nothing.
 */
export function readModelHooks(readModel: ReadModelService) {
  return {
    preExecution: (_schema: unknown, document: DocumentNode, context: FlaggedContext): Promise<void> => {
      if (document.definitions.some((node) => node.kind === 'OperationDefinition' && node.operation === 'mutation')) {
        context[MUTATION] = true;
      }
      return Promise.resolve();
    },
    onResolution: async (_execution: unknown, context: FlaggedContext): Promise<void> => {
      if (context[MUTATION] === true) await readModel.sync();
    },
  };
}
