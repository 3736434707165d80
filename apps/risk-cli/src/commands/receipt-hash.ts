import { z } from 'zod';
import { receiptHash } from '@novation/risk';
import { defineCommand } from '../command.js';

/** Any JSON value; canonicalJson refuses what it cannot hash, naming the path. */
const jsonValue = z.json();

export const receiptHashSchema = z.strictObject({
  inputs: z.strictObject({
    engineVersion: z.string(),
    model: z.string(),
    parameterSetVersion: z.string(),
    parameters: jsonValue,
    positions: jsonValue,
    collateral: jsonValue,
    marketSnapshot: jsonValue,
  }),
});

/**
 * `receipt-hash`: the SHA-256 inputsHash of a margin receipt's inputs, so a member can check that the
 * receipt the clearinghouse published was computed from the inputs it claims. Money amounts must be
 * decimal strings here: a JSON number hashes as a number, not as the Decimal the engine used.
 */
export const receiptHashCommand = defineCommand({
  name: 'receipt-hash',
  summary: 'SHA-256 inputsHash of margin receipt inputs',
  schema: receiptHashSchema,
  run: (input) => ({ inputsHash: receiptHash(input.inputs) }),
});
