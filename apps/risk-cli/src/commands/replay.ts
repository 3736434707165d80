import { z } from 'zod';
import { replayMarginReceipt } from '@novation/risk';
import { defineCommand } from '../command.js';
import { EXIT_RECEIPT_MISMATCH, EXIT_SUCCESS } from '../cli-errors.js';

/**
 * `replay`: recomputes a margin receipt (as written by `margin`, or downloaded from Novation) from its
 * inputs and compares it field by field. Prints {"match": true}, or the first differing field with the
 * receipt's and the recomputed value, and exits 1 on a mismatch.
 */
export const replayCommand = defineCommand({
  name: 'replay',
  summary: 'verify a margin receipt by recomputing it from its inputs',
  schema: z.json(),
  run: (input) => replayMarginReceipt(input),
  exitCodeOf: (output) =>
    typeof output === 'object' && output !== null && 'match' in output && output.match === true
      ? EXIT_SUCCESS
      : EXIT_RECEIPT_MISMATCH,
});
