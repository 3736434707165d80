import { z } from 'zod';
import type { MarginReceipt, MarginReceiptInputs, MarginReceiptVerification } from '../receipt/margin-receipt.js';
import { ENGINE_VERSION, createMarginReceipt, verifyMarginReceipt } from '../receipt/margin-receipt.js';
import type { MarginResult } from './compute-margin.js';
import { computeMargin, parseMarginRequest } from './compute-margin.js';
import { MarginError } from './margin-error.js';
import type { MarginRequest } from './margin-request-schema.js';

/** Computes a margin and wraps it in a receipt whose inputs are the (normalised) request itself. */
export function computeMarginReceipt(request: MarginRequest): MarginReceipt<MarginResult> {
  const result = computeMargin(request);
  return createMarginReceipt(receiptInputsOf(request), result);
}

/** The seven hashed receipt fields of a request, with the engine version made explicit. */
export function receiptInputsOf(request: MarginRequest): MarginReceiptInputs {
  return {
    engineVersion: request.engineVersion ?? ENGINE_VERSION,
    model: request.model,
    parameterSetVersion: request.parameterSetVersion,
    parameters: request.parameters,
    positions: request.positions,
    collateral: request.collateral,
    marketSnapshot: request.marketSnapshot,
  };
}

const receiptEnvelopeSchema = z.object({
  engineVersion: z.string(),
  model: z.string(),
  parameterSetVersion: z.string(),
  parameters: z.unknown(),
  positions: z.unknown(),
  collateral: z.unknown(),
  marketSnapshot: z.unknown(),
  inputsHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest'),
  resultHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest'),
  result: z.unknown(),
});

/**
 * Replays a stored receipt: checks its inputs hash, recomputes the margin from its inputs with this
 * engine and compares the result field by field. A receipt from another engine version is refused
 * (ENGINE_VERSION_MISMATCH) rather than compared, since a model change may legitimately alter it.
 */
export function replayMarginReceipt(raw: unknown): MarginReceiptVerification {
  const parsed = receiptEnvelopeSchema.safeParse(raw);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new MarginError('INVALID_REQUEST', issue?.message ?? 'invalid receipt', issue?.path.map(String).join('.'));
  }
  const receipt = parsed.data as MarginReceipt<unknown>;
  return verifyMarginReceipt(receipt, (inputs) => computeMargin(parseMarginRequest(inputs)));
}
