import type { EuropeanOption, Instrument } from '@novation/instruments';
import { timeToExpiryYears } from '@novation/instruments';
import { generalisedBlackScholesValue } from '../pricing/generalised-black-scholes.js';
import { inverseOptionValue } from '../pricing/inverse-option.js';
import type { GeneralisedBlackScholesInputs } from '../pricing/option-pricing-inputs.js';
import { ScenarioMarginError } from './scenario-margin-error.js';
import type { VolatilityShockScaling } from './scenario-parameters.js';
import { volatilityShockScale } from './scenario-parameters.js';

/** Market state contracts are valued from; one snapshot gives one set of risk arrays for every account. */
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

/** How an implied-volatility shock is applied when a contract is revalued. */
export interface ContractValuationOptions {
  /** Scales a vol shock by expiry (portfolio-scenario grids); absent means the shock applies as given. */
  readonly volatilityScaling?: VolatilityShockScaling;
  /** Floor of a shocked implied volatility: a vol shock of -100% would otherwise break the pricer. */
  readonly volatilityFloor: number;
}

/**
 * Value of one contract held long, in its settlement asset, at underlying price `price` after a relative
 * vol shock (0.25 = vol x 1.25, before expiry scaling). Profit of a move = valuer(moved, shock) - valuer(price, 0).
 */
export type ContractValuer = (price: number, volatilityShockFraction: number) => number;

const MILLISECONDS_PER_DAY = 86_400_000;

/** Full-revaluation pricer of one instrument for one snapshot (shared by scenario grids, stress and ES). */
export function contractValuer(
  instrument: Instrument,
  snapshot: ScenarioMarketSnapshot,
  options: ContractValuationOptions,
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
      return optionValuer(instrument, contractSize, snapshot, options);
  }
}

function optionValuer(
  option: EuropeanOption,
  contractSize: number,
  snapshot: ScenarioMarketSnapshot,
  options: ContractValuationOptions,
): ContractValuer {
  const volatility = snapshot.impliedVolatilities.get(option.id);
  if (volatility === undefined || !(volatility > 0) || !Number.isFinite(volatility)) {
    throw new ScenarioMarginError('MISSING_MARKET_DATA', `no positive implied volatility for ${option.id}`);
  }
  const remainingMs = Math.max(option.expiryEpochMs - snapshot.valuationEpochMs, 0);
  const timeToExpiry = timeToExpiryYears(option.expiryEpochMs, snapshot.valuationEpochMs);
  const scale =
    options.volatilityScaling === undefined
      ? 1
      : volatilityShockScale(options.volatilityScaling, remainingMs / MILLISECONDS_PER_DAY);
  const strikePrice = option.strikePrice.toNumber();
  const dividendYield = option.underlyingReference === 'future' ? snapshot.riskFreeRate : 0;
  const value = option.settlement === 'inverse' ? inverseOptionValue : generalisedBlackScholesValue;
  return (price, volatilityShockFraction) => {
    const shocked = Math.max(volatility * (1 + volatilityShockFraction * scale), options.volatilityFloor);
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

/** Underlying notional of one contract in its settlement asset (the base of per-contract charges). */
export function underlyingNotional(instrument: Instrument, price: number): number {
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

/** The snapshot's price of an underlying; a missing or non-positive price is a typed error. */
export function underlyingPrice(snapshot: ScenarioMarketSnapshot, underlying: string): number {
  const price = snapshot.underlyingPrices.get(underlying);
  if (price === undefined || !(price > 0) || !Number.isFinite(price)) {
    throw new ScenarioMarginError('MISSING_MARKET_DATA', `no positive price for underlying ${underlying}`);
  }
  return price;
}
