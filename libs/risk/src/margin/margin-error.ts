/**
 * Why `computeMargin` refused a request. Codes of the model libraries (scenario, historical ES,
 * collateral, standard) pass through unchanged, so a member sees the same code offline as online:
 * - INVALID_REQUEST: the JSON does not match the request schema (`field` names the dotted path);
 * - ENGINE_VERSION_MISMATCH: the request names an engine version this engine is not;
 * - UNKNOWN_INSTRUMENT: a position refers to an instrument the snapshot does not define;
 * - MISSING_MARKET_DATA: a price, mark, implied vol, asset price or return history is missing;
 * - MISSING_PARAMETERS: the parameter set has no entry the model needs (tier table, asset scale);
 * - INVALID_POSITION: a zero, duplicate or ill-formed position;
 * - INVALID_PARAMETERS: a parameter outside its bounds;
 * - DOMAIN_PRECONDITION: a precondition of a pure function (e.g. a tier table that is not contiguous);
 * plus the codes of CollateralError, HistoricalEsError and ScenarioMarginError.
 */
export class MarginError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Dotted path of the offending field in the request, when one is known. */
    readonly field?: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'MarginError';
  }
}

/** Wraps an error of a model library into a MarginError, keeping its code; rethrows anything else (a bug). */
export function asMarginError(error: unknown): MarginError {
  if (error instanceof MarginError) return error;
  if (error instanceof RangeError) return new MarginError('DOMAIN_PRECONDITION', error.message);
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    return new MarginError(error.code, error.message);
  }
  throw error;
}
