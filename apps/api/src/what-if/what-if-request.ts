import { applyFill, type ClearingPosition } from '@novation/clearing';
import { Decimal } from '@novation/money';
import { parseMarginRequest, toInstrument, type MarginRequest, type MarginRequestInstrument } from '@novation/risk';
import { WhatIfException } from './what-if.exception.js';

/**
 * The pure core of `simulateMargin`: a margin request adjusted by hypothetical trades and market shocks.
 * No clock, no database: the caller passes the account's real request (with the traded instruments and
 * their market data already in its snapshot).
 */

/** Prices and amounts of an adjusted request are cut to the stored scale (numeric(38,18)). */
const ADJUSTED_SCALE = 18;

/** Kinds whose mark is a price of the underlying (in quote per unit), so it moves with it. */
const UNDERLYING_PRICED_KINDS: ReadonlySet<MarginRequestInstrument['kind']> = new Set([
  'spot',
  'linear_perpetual',
  'inverse_perpetual',
  'linear_future',
  'inverse_future',
]);

export interface HypotheticalTrade {
  readonly instrumentId: string;
  /** Signed contracts: positive buys, negative sells; never zero. */
  readonly quantity: Decimal;
  /** Trade price; the current mark when null (premium per unit for options). */
  readonly price: Decimal | null;
}

export interface PriceShock {
  readonly underlying: string;
  /** Relative move of the underlying, e.g. -0.2 for -20%; > -1. */
  readonly shockFraction: number;
}

export interface WhatIfScenario {
  readonly trades: readonly HypotheticalTrade[];
  readonly priceShocks: readonly PriceShock[];
  /** Relative move of every implied volatility, e.g. 0.5 for +50%; > -1. */
  readonly volatilityShockFraction: number;
}

/**
 * Applies `scenario` to `request`: first the trades, as fills on the positions (PnL realised by a
 * reducing future and the premium of an option move the settlement asset's holding, as novation would),
 * then the shocks: each shocked underlying's index price and the marks of the futures, perpetuals and spot
 * on it are scaled by (1 + shock), and every implied volatility by (1 + volatility shock). Option marks
 * are left as published: the engine's scenario models revalue options themselves. The result is parsed
 * again, so it is a request computeMargin accepts or a typed refusal.
 */
export function applyWhatIf(request: MarginRequest, scenario: WhatIfScenario): MarginRequest {
  const snapshot = request.marketSnapshot;
  const instruments = new Map(snapshot.instruments.map((instrument) => [instrument.id, instrument]));
  const positions = new Map(request.positions.map((position) => [position.instrumentId, position]));
  const holdings = new Map(request.collateral.holdings.map((holding) => [holding.asset, new Decimal(holding.amount)]));
  const credit = (asset: string, amount: Decimal): void => {
    holdings.set(asset, (holdings.get(asset) ?? new Decimal(0)).plus(amount));
  };

  scenario.trades.forEach((trade, index) => {
    const definition = instruments.get(trade.instrumentId);
    const mark = snapshot.markPrices[trade.instrumentId];
    if (definition === undefined || mark === undefined) {
      throw new WhatIfException('UNKNOWN_INSTRUMENT', 'is not in the snapshot', `trades[${index}].instrumentId`);
    }
    if (trade.quantity.isZero()) {
      throw new WhatIfException('INVALID_SCENARIO', 'a trade quantity must not be zero', `trades[${index}].quantity`);
    }
    const price = trade.price ?? new Decimal(mark);
    if (!price.isPositive() || price.isZero()) {
      throw new WhatIfException('INVALID_SCENARIO', 'a trade price must be > 0', `trades[${index}].price`);
    }
    const instrument = toInstrument(definition);
    const existing = positions.get(trade.instrumentId);
    const current: ClearingPosition | undefined =
      existing === undefined
        ? undefined
        : {
            quantity: new Decimal(existing.quantity),
            averageEntryPrice:
              existing.averageEntryPrice === undefined ? null : new Decimal(existing.averageEntryPrice),
            realisedPnl: new Decimal(0),
          };
    const filled = applyFill(
      current,
      { side: trade.quantity.isNegative() ? 'sell' : 'buy', quantity: trade.quantity.abs(), price },
      instrument,
    );
    credit(definition.settlementAsset, filled.realisedPnl);
    if (definition.kind === 'european_option') {
      // The buyer pays quantity x contract size x premium to the seller at the trade.
      credit(definition.settlementAsset, trade.quantity.times(instrument.contractSize).times(price).negated());
    }
    const { quantity, averageEntryPrice } = filled.position;
    if (quantity.isZero()) positions.delete(trade.instrumentId);
    else
      positions.set(trade.instrumentId, {
        instrumentId: trade.instrumentId,
        quantity: quantity.toFixed(),
        ...(averageEntryPrice === null ? {} : { averageEntryPrice: cut(averageEntryPrice).toFixed() }),
      });
  });

  const underlyingPrices = { ...snapshot.underlyingPrices };
  const markPrices = { ...snapshot.markPrices };
  scenario.priceShocks.forEach((shock, index) => {
    const field = `priceShocks[${index}]`;
    const indexPrice = underlyingPrices[shock.underlying];
    if (indexPrice === undefined) {
      throw new WhatIfException('UNKNOWN_UNDERLYING', 'is not an underlying of the account', `${field}.underlying`);
    }
    const factor = shockFactor(shock.shockFraction, `${field}.shockFraction`);
    underlyingPrices[shock.underlying] = scaled(indexPrice, factor, `${field}.shockFraction`);
    for (const instrument of instruments.values()) {
      const mark = markPrices[instrument.id];
      if (instrument.underlying === shock.underlying && UNDERLYING_PRICED_KINDS.has(instrument.kind) && mark) {
        markPrices[instrument.id] = scaled(mark, factor, `${field}.shockFraction`);
      }
    }
  });
  const volatilityFactor = shockFactor(scenario.volatilityShockFraction, 'volatilityShockFraction').toNumber();
  const impliedVolatilities = Object.fromEntries(
    Object.entries(snapshot.impliedVolatilities).map(([id, volatility]) => [id, volatility * volatilityFactor]),
  );

  const adjusted = {
    ...request,
    positions: [...positions.values()].sort((a, b) => compareText(a.instrumentId, b.instrumentId)),
    collateral: {
      marginAsset: request.collateral.marginAsset,
      holdings: [...holdings.entries()]
        .filter(([, amount]) => !amount.isZero())
        .sort(([a], [b]) => compareText(a, b))
        .map(([asset, amount]) => ({ asset, amount: cut(amount).toFixed() })),
    },
    marketSnapshot: { ...snapshot, underlyingPrices, markPrices, impliedVolatilities },
  };
  return parseMarginRequest(adjusted);
}

function shockFactor(fraction: number, field: string): Decimal {
  if (!Number.isFinite(fraction) || fraction <= -1) {
    throw new WhatIfException('INVALID_SCENARIO', 'a shock must be a finite number > -1', field);
  }
  return new Decimal(1).plus(new Decimal(fraction));
}

function scaled(price: string, factor: Decimal, field: string): string {
  const result = cut(new Decimal(price).times(factor));
  if (!result.isPositive() || result.isZero()) {
    throw new WhatIfException('INVALID_SCENARIO', 'the shocked price rounds to zero', field);
  }
  return result.toFixed();
}

function cut(value: Decimal): Decimal {
  return value.toDecimalPlaces(ADJUSTED_SCALE, Decimal.ROUND_DOWN);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
