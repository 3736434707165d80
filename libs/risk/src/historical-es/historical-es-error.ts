/** Why the historical-ES margin model refused its inputs: one code per broken precondition, so callers can map them. */
export type HistoricalEsErrorCode =
  'INVALID_PARAMETERS' | 'MISSING_MARKET_DATA' | 'UNKNOWN_INSTRUMENT' | 'INVALID_POSITION' | 'MIXED_SETTLEMENT_ASSETS';

/**
 * Thrown when parameters, market data or positions break a precondition. The model never returns NaN: a
 * margin built on a silent NaN would let an account trade without collateral.
 */
export class HistoricalEsError extends Error {
  constructor(
    readonly code: HistoricalEsErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'HistoricalEsError';
  }
}
