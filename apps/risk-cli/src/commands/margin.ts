import { z } from 'zod';
import {
  computeMarginBatch,
  computeMarginReceipt,
  marginBatchSchema,
  marginRequestSchema,
  parseMarginBatch,
  parseMarginRequest,
} from '@novation/risk';
import { defineCommand } from '../command.js';

/**
 * `margin`: one account's margin as a replayable receipt (inputs, result and their SHA-256 hashes), or,
 * when the document has an `accounts` array, a batch of accounts against one snapshot and parameter set,
 * with a progress bar for long files. The lib parses the document, so errors name the lib's fields.
 */
export const marginCommand = defineCommand({
  name: 'margin',
  summary: 'margin of one account (a receipt) or of a batch of accounts',
  schema: z.json(),
  documentedSchema: z.union([marginRequestSchema, marginBatchSchema]),
  run: (input, { progress }) => {
    if (typeof input === 'object' && input !== null && !Array.isArray(input) && 'accounts' in input) {
      const batch = parseMarginBatch(input);
      const outcomes = computeMarginBatch(batch, progress);
      const statuses = outcomes.map((outcome) => ('result' in outcome ? outcome.result.status : 'refused'));
      const count = (status: string) => statuses.filter((candidate) => candidate === status).length;
      return {
        model: batch.model,
        parameterSetVersion: batch.parameterSetVersion,
        summary: {
          accounts: outcomes.length,
          healthy: count('healthy'),
          belowInitialMargin: count('below_initial_margin'),
          belowMaintenanceMargin: count('below_maintenance_margin'),
          refused: count('refused'),
        },
        accounts: outcomes,
      };
    }
    return computeMarginReceipt(parseMarginRequest(input));
  },
});
