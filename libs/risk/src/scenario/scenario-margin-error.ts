/** Why the scenario margin model refused its inputs. One code per broken precondition, so callers can map them. */
export type ScenarioMarginErrorCode =
  'INVALID_PARAMETERS' | 'MISSING_MARKET_DATA' | 'UNKNOWN_INSTRUMENT' | 'INVALID_POSITION' | 'MIXED_SETTLEMENT_ASSETS';

/**
 * Thrown when parameters, market data or positions break a precondition. The model never returns NaN: a
 * margin built on a silent NaN would let an account trade without collateral.
 */
export class ScenarioMarginError extends Error {
  constructor(
    readonly code: ScenarioMarginErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'ScenarioMarginError';
  }
}
