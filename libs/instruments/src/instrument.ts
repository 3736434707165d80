import type { Decimal } from '@novation/money';

/**
 * Instrument definitions: plain readonly data, one variant per contract type, discriminated on `kind`.
 * Prices are in the quote asset per one unit of the underlying (USD per BTC). Nothing here reads a clock:
 * an expiry is an instant passed in (see expiry.ts).
 */

/** How a contract pays: in the quote asset (linear, e.g. USDC) or in the underlying coin (inverse). */
export type Settlement = 'linear' | 'inverse';

export type OptionType = 'call' | 'put';

interface InstrumentBase {
  readonly id: string;
  /** The asset whose price the contract follows, e.g. 'BTC'. */
  readonly underlying: string;
  /** The asset prices are quoted in, e.g. 'USD' or 'USDC'. */
  readonly quoteAsset: string;
  /** The asset premiums, margins and PnL are paid in: the quote asset if linear, the coin if inverse. */
  readonly settlementAsset: string;
}

/** Spot: contractSize units of the underlying per lot (usually 1). */
export interface SpotInstrument extends InstrumentBase {
  readonly kind: 'spot';
  readonly contractSize: Decimal;
}

/** USDC-margined future: one contract is contractSize units of the underlying; PnL in the quote asset. */
export interface LinearPerpetual extends InstrumentBase {
  readonly kind: 'linear_perpetual';
  /** Units of the underlying per contract, e.g. 0.001 BTC. */
  readonly contractSize: Decimal;
}

export interface LinearFuture extends InstrumentBase {
  readonly kind: 'linear_future';
  readonly contractSize: Decimal;
  readonly expiryEpochMs: number;
}

/**
 * Coin-margined future: one contract is a fixed face value in the quote asset (e.g. 10 USD), so its value
 * in coin is contractSize / price and PnL in coin is contracts x contractSize x (1/entry - 1/exit).
 */
export interface InversePerpetual extends InstrumentBase {
  readonly kind: 'inverse_perpetual';
  /** Face value in the quote asset per contract, e.g. 10 USD. */
  readonly contractSize: Decimal;
}

export interface InverseFuture extends InstrumentBase {
  readonly kind: 'inverse_future';
  readonly contractSize: Decimal;
  readonly expiryEpochMs: number;
}

/**
 * European option, Deribit conventions. The premium is quoted per unit of the underlying in the settlement
 * asset: USDC for linear options (payoff max(S_T - K, 0) per unit), the coin for inverse options (payoff
 * max(S_T - K, 0) / S_T coin per unit). contractSize is the multiplier in units of the underlying
 * (1 BTC for Deribit BTC options, 10 SOL for the SOL_USDC options).
 */
export interface EuropeanOption extends InstrumentBase {
  readonly kind: 'european_option';
  readonly settlement: Settlement;
  /** What the option is written on: the spot index, or a futures contract of the same expiry. */
  readonly underlyingReference: 'spot' | 'future';
  readonly optionType: OptionType;
  /** Strike in the quote asset per unit of the underlying. */
  readonly strikePrice: Decimal;
  readonly contractSize: Decimal;
  readonly expiryEpochMs: number;
}

export type Instrument =
  SpotInstrument | LinearPerpetual | LinearFuture | InversePerpetual | InverseFuture | EuropeanOption;

export type DatedFuture = LinearFuture | InverseFuture;
