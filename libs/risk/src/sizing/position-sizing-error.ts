/** Why a maximum trade size could not be found. One code per failure, so callers can map them. */
export type PositionSizingErrorCode = 'INVALID_INPUT' | 'NOT_CONVERGED' | 'NON_INTERVAL_FEASIBLE_SET';

/**
 * Thrown when the inputs break a precondition or the margin model does not behave as the search assumes.
 * A wrong maximum size would let an order through that the margin check then rejects, or worse, accept.
 */
export class PositionSizingError extends Error {
  constructor(
    readonly code: PositionSizingErrorCode,
    /** The input field at fault, e.g. `quantityStep`; `evaluate` when the margin model misbehaves. */
    readonly field: string,
    detail: string,
  ) {
    super(`${code} at ${field}: ${detail}`);
    this.name = 'PositionSizingError';
  }
}
