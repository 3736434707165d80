import type { Instrument } from '@novation/instruments';
import type { ScenarioMarketSnapshot } from './contract-valuer.js';
import { contractValuer, underlyingNotional, underlyingPrice } from './contract-valuer.js';
import { ScenarioMarginError } from './scenario-margin-error.js';
import type { Scenario, ScenarioMarginParameters } from './scenario-parameters.js';
import { expandScenarios } from './scenario-parameters.js';

/**
 * Risk arrays of every instrument for one snapshot. Amounts are in each instrument's settlement asset
 * (coin for inverse contracts), per ONE contract held long, profit positive.
 */
export interface RiskArrays {
  readonly scenarios: readonly Scenario[];
  readonly instrumentIds: readonly string[];
  readonly instrumentIndexById: ReadonlyMap<string, number>;
  /** profitPerContract[instrument][scenario]: unweighted P&L of one long contract. */
  readonly profitPerContract: readonly Float64Array[];
  /** Row-major instruments x scenarios of -profit x scenario weight: the hot loop's only input. */
  readonly weightedLossMatrix: Float64Array;
  readonly underlyings: readonly string[];
  readonly settlementAssets: readonly string[];
  /** Underlying notional of one contract in the settlement asset: the base of the short-option charge. */
  readonly underlyingNotionalPerContract: Float64Array;
  /** dV/d(ln S) of one contract in the settlement asset: delta as underlying notional. */
  readonly deltaNotionalPerContract: Float64Array;
  /** 1 for options (subject to the short-option charge), 0 otherwise. */
  readonly isOption: Uint8Array;
  /** 1 for perpetuals and dated futures (subject to the futures-offset charge), 0 otherwise. */
  readonly isFuture: Uint8Array;
  /**
   * Options only: index of the option's (underlying, expiry, strike) among all such keys, so calls and
   * puts of one strike can be netted ('net-per-strike'); -1 for other instruments.
   */
  readonly strikeKeyIndexes: Int32Array;
  readonly strikeKeyCount: number;
}

/** Instruments per build; bounds memory (instruments x scenarios x 8 bytes). */
export const RISK_ARRAY_INSTRUMENT_COUNT_MAX = 100_000;

/** Relative bump of the finite-difference delta; small against any shock, large against float noise. */
const DELTA_BUMP_FRACTION = 1e-4;

/** Revalues every instrument under every scenario. Call once per snapshot, not once per account. */
export function buildRiskArrays(
  instruments: readonly Instrument[],
  snapshot: ScenarioMarketSnapshot,
  parameters: ScenarioMarginParameters,
): RiskArrays {
  if (instruments.length > RISK_ARRAY_INSTRUMENT_COUNT_MAX) {
    throw new ScenarioMarginError('INVALID_PARAMETERS', `more than ${RISK_ARRAY_INSTRUMENT_COUNT_MAX} instruments`);
  }
  if (!Number.isFinite(snapshot.riskFreeRate) || !Number.isFinite(snapshot.valuationEpochMs)) {
    throw new ScenarioMarginError('MISSING_MARKET_DATA', 'riskFreeRate and valuationEpochMs must be finite');
  }
  const scenarios = expandScenarios(parameters);
  const scenarioCount = scenarios.length;
  const count = instruments.length;
  const weightedLossMatrix = new Float64Array(count * scenarioCount);
  const underlyingNotionalPerContract = new Float64Array(count);
  const deltaNotionalPerContract = new Float64Array(count);
  const isOption = new Uint8Array(count);
  const isFuture = new Uint8Array(count);
  const strikeKeyIndexes = new Int32Array(count).fill(-1);
  const strikeKeys = new Map<string, number>();
  const instrumentIndexById = new Map<string, number>();
  const profitPerContract = instruments.map((instrument, index) => {
    if (instrumentIndexById.has(instrument.id)) {
      throw new ScenarioMarginError('INVALID_PARAMETERS', `instrument ${instrument.id} appears twice`);
    }
    instrumentIndexById.set(instrument.id, index);
    const valuer = contractValuer(instrument, snapshot, parameters);
    const price = underlyingPrice(snapshot, instrument.underlying);
    const baseValue = valuer(price, 0);
    const profits = new Float64Array(scenarioCount);
    scenarios.forEach((scenario, scenarioIndex) => {
      const profit = valuer(price * (1 + scenario.priceShockFraction), scenario.volatilityShockFraction) - baseValue;
      if (!Number.isFinite(profit)) {
        throw new ScenarioMarginError('MISSING_MARKET_DATA', `non-finite P&L for ${instrument.id}`);
      }
      profits[scenarioIndex] = profit;
      weightedLossMatrix[index * scenarioCount + scenarioIndex] = -profit * scenario.weight;
    });
    const bumpUp = valuer(price * (1 + DELTA_BUMP_FRACTION), 0);
    const bumpDown = valuer(price * (1 - DELTA_BUMP_FRACTION), 0);
    deltaNotionalPerContract[index] = (bumpUp - bumpDown) / (2 * DELTA_BUMP_FRACTION);
    underlyingNotionalPerContract[index] = underlyingNotional(instrument, price);
    isOption[index] = instrument.kind === 'european_option' ? 1 : 0;
    isFuture[index] = isFutureKind(instrument) ? 1 : 0;
    if (instrument.kind === 'european_option') {
      const key = `${instrument.underlying}|${instrument.expiryEpochMs}|${instrument.strikePrice.toFixed()}`;
      const known = strikeKeys.get(key);
      strikeKeyIndexes[index] = known ?? strikeKeys.size;
      if (known === undefined) strikeKeys.set(key, strikeKeys.size);
    }
    return profits;
  });
  return {
    scenarios,
    instrumentIds: instruments.map((instrument) => instrument.id),
    instrumentIndexById,
    profitPerContract,
    weightedLossMatrix,
    underlyings: instruments.map((instrument) => instrument.underlying),
    settlementAssets: instruments.map((instrument) => instrument.settlementAsset),
    underlyingNotionalPerContract,
    deltaNotionalPerContract,
    isOption,
    isFuture,
    strikeKeyIndexes,
    strikeKeyCount: strikeKeys.size,
  };
}

function isFutureKind(instrument: Instrument): boolean {
  switch (instrument.kind) {
    case 'linear_perpetual':
    case 'linear_future':
    case 'inverse_perpetual':
    case 'inverse_future':
      return true;
    case 'spot':
    case 'european_option':
      return false;
  }
}
