import type { EuropeanOption, Instrument } from '@novation/instruments';
import { timeToExpiryYears } from '@novation/instruments';
import { generalisedBlackScholesValue } from '../pricing/generalised-black-scholes.js';
import { inverseOptionValue } from '../pricing/inverse-option.js';
import type { GeneralisedBlackScholesInputs } from '../pricing/option-pricing-inputs.js';
import { ScenarioMarginError } from './scenario-margin-error.js';
import type { Scenario, ScenarioMarginParameters } from './scenario-parameters.js';
import { expandScenarios, volatilityShockScale } from './scenario-parameters.js';

/** Market state the risk arrays are built from; one snapshot gives one set of arrays for every account. */
export interface ScenarioMarketSnapshot {
  readonly valuationEpochMs: number;
  readonly riskFreeRate: number;
  /**
   * Price per underlying, in the quote asset. Options written on a future take it as the forward
   * (Black-76, dividendYield = riskFreeRate); options on the spot take it as the spot (no yield).
   */
  readonly underlyingPrices: ReadonlyMap<string, number>;
  /** Implied volatility per option instrument id; 0.6 means 60%. */
  readonly impliedVolatilities: ReadonlyMap<string, number>;
}

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
}

/** Instruments per build; bounds memory (instruments x scenarios x 8 bytes). */
export const RISK_ARRAY_INSTRUMENT_COUNT_MAX = 100_000;

/** Relative bump of the finite-difference delta; small against any shock, large against float noise. */
const DELTA_BUMP_FRACTION = 1e-4;
const MILLISECONDS_PER_DAY = 86_400_000;

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
  };
}

/** Value of one contract in its settlement asset at underlying price `price` after a vol shock. */
type ContractValuer = (price: number, volatilityShockFraction: number) => number;

function contractValuer(
  instrument: Instrument,
  snapshot: ScenarioMarketSnapshot,
  parameters: ScenarioMarginParameters,
): ContractValuer {
  const contractSize = instrument.contractSize.toNumber();
  switch (instrument.kind) {
    case 'spot':
    case 'linear_perpetual':
    case 'linear_future':
      return (price) => contractSize * price;
    case 'inverse_perpetual':
    case 'inverse_future':
      // A long inverse contract holds contractSize USD of face value; its coin P&L is the change of -face/S.
      return (price) => -contractSize / price;
    case 'european_option':
      return optionValuer(instrument, contractSize, snapshot, parameters);
  }
}

function optionValuer(
  option: EuropeanOption,
  contractSize: number,
  snapshot: ScenarioMarketSnapshot,
  parameters: ScenarioMarginParameters,
): ContractValuer {
  const volatility = snapshot.impliedVolatilities.get(option.id);
  if (volatility === undefined || !(volatility > 0) || !Number.isFinite(volatility)) {
    throw new ScenarioMarginError('MISSING_MARKET_DATA', `no positive implied volatility for ${option.id}`);
  }
  const remainingMs = Math.max(option.expiryEpochMs - snapshot.valuationEpochMs, 0);
  const timeToExpiry = timeToExpiryYears(option.expiryEpochMs, snapshot.valuationEpochMs);
  const scale = volatilityShockScale(parameters.volatilityScaling, remainingMs / MILLISECONDS_PER_DAY);
  const strikePrice = option.strikePrice.toNumber();
  const dividendYield = option.underlyingReference === 'future' ? snapshot.riskFreeRate : 0;
  const value = option.settlement === 'inverse' ? inverseOptionValue : generalisedBlackScholesValue;
  return (price, volatilityShockFraction) => {
    const shocked = Math.max(volatility * (1 + volatilityShockFraction * scale), parameters.volatilityFloor);
    const inputs: GeneralisedBlackScholesInputs = {
      optionType: option.optionType,
      underlyingPrice: price,
      strikePrice,
      timeToExpiryYears: timeToExpiry,
      volatility: shocked,
      riskFreeRate: snapshot.riskFreeRate,
      dividendYield,
    };
    return contractSize * value(inputs);
  };
}

function underlyingNotional(instrument: Instrument, price: number): number {
  const contractSize = instrument.contractSize.toNumber();
  switch (instrument.kind) {
    case 'inverse_perpetual':
    case 'inverse_future':
      return contractSize / price;
    case 'european_option':
      return instrument.settlement === 'inverse' ? contractSize : contractSize * price;
    case 'spot':
    case 'linear_perpetual':
    case 'linear_future':
      return contractSize * price;
  }
}

function underlyingPrice(snapshot: ScenarioMarketSnapshot, underlying: string): number {
  const price = snapshot.underlyingPrices.get(underlying);
  if (price === undefined || !(price > 0) || !Number.isFinite(price)) {
    throw new ScenarioMarginError('MISSING_MARKET_DATA', `no positive price for underlying ${underlying}`);
  }
  return price;
}
