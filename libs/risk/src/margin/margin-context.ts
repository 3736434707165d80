import type { Instrument } from '@novation/instruments';
import { Decimal } from '@novation/money';
import type { HistoricalEsArrays } from '../historical-es/historical-es-arrays.js';
import type { RiskArrays } from '../scenario/risk-arrays.js';
import { MarginError } from './margin-error.js';
import type { MarginRequest, MarginRequestInstrument } from './margin-request-schema.js';

/** One position of the request with its instrument resolved and its amounts parsed. */
export interface ResolvedPosition {
  readonly index: number;
  readonly instrument: Instrument;
  /** Signed contracts. */
  readonly quantity: Decimal;
  readonly averageEntryPrice: Decimal | undefined;
  readonly markPrice: Decimal;
}

/** The request parsed into domain types once, so every model reads the same values. */
export interface MarginContext {
  readonly request: MarginRequest;
  readonly marginAsset: string;
  readonly instrumentsById: ReadonlyMap<string, Instrument>;
  readonly positions: readonly ResolvedPosition[];
  /** Price of one unit of an asset in the margin asset. */
  readonly assetPrices: ReadonlyMap<string, Decimal>;
  readonly underlyingPrices: ReadonlyMap<string, Decimal>;
  /**
   * Arrays built once for a whole batch (per settlement asset, over every instrument of the batch).
   * An instrument's row does not depend on the other instruments, so a batch gives the same numbers
   * as one request at a time; it only avoids repricing the same options for every account.
   */
  readonly sharedArrays?: SharedModelArrays;
}

export interface SharedModelArrays {
  readonly scenario: Map<string, RiskArrays>;
  readonly historicalEs: Map<string, HistoricalEsArrays>;
}

export function buildMarginContext(request: MarginRequest, sharedArrays?: SharedModelArrays): MarginContext {
  const instrumentsById = new Map<string, Instrument>();
  request.marketSnapshot.instruments.forEach((definition, index) => {
    if (instrumentsById.has(definition.id)) {
      throw new MarginError(
        'INVALID_REQUEST',
        `instrument ${definition.id} is defined twice`,
        `marketSnapshot.instruments.${index}.id`,
      );
    }
    instrumentsById.set(definition.id, toInstrument(definition));
  });
  const seen = new Set<string>();
  const positions = request.positions.map((position, index): ResolvedPosition => {
    const field = `positions.${index}`;
    const instrument = instrumentsById.get(position.instrumentId);
    if (instrument === undefined) {
      throw new MarginError('UNKNOWN_INSTRUMENT', `no instrument ${position.instrumentId}`, `${field}.instrumentId`);
    }
    if (seen.has(position.instrumentId)) {
      throw new MarginError('INVALID_POSITION', `two positions in ${position.instrumentId}`, `${field}.instrumentId`);
    }
    seen.add(position.instrumentId);
    const quantity = new Decimal(position.quantity);
    if (quantity.isZero()) throw new MarginError('INVALID_POSITION', 'a position cannot be zero', `${field}.quantity`);
    const mark = request.marketSnapshot.markPrices[position.instrumentId];
    if (mark === undefined) {
      throw new MarginError(
        'MISSING_MARKET_DATA',
        `no mark price for ${position.instrumentId}`,
        `${field}.instrumentId`,
      );
    }
    const needsEntry = instrument.kind !== 'european_option' && instrument.kind !== 'spot';
    if (needsEntry && position.averageEntryPrice === undefined) {
      throw new MarginError('INVALID_POSITION', 'futures need an averageEntryPrice', `${field}.averageEntryPrice`);
    }
    return {
      index,
      instrument,
      quantity,
      averageEntryPrice: position.averageEntryPrice === undefined ? undefined : new Decimal(position.averageEntryPrice),
      markPrice: new Decimal(mark),
    };
  });
  return {
    request,
    marginAsset: request.collateral.marginAsset,
    instrumentsById,
    positions,
    assetPrices: decimalMap(request.marketSnapshot.assetPrices),
    underlyingPrices: decimalMap(request.marketSnapshot.underlyingPrices),
    ...(sharedArrays === undefined ? {} : { sharedArrays }),
  };
}

/** The asset's rounding scale from the parameter set; every asset that carries an amount must have one. */
export function assetScale(context: MarginContext, asset: string): number {
  const parameters = context.request.parameters.assets[asset];
  if (parameters === undefined) {
    throw new MarginError('MISSING_PARAMETERS', `no parameters for asset ${asset}`, `parameters.assets.${asset}`);
  }
  return parameters.scale;
}

/** Price of one unit of `asset` in the margin asset (1 for the margin asset itself). */
export function assetPrice(context: MarginContext, asset: string): Decimal {
  if (asset === context.marginAsset) return new Decimal(1);
  const price = context.assetPrices.get(asset);
  if (price === undefined) {
    throw new MarginError(
      'MISSING_MARKET_DATA',
      `no price of ${asset} in ${context.marginAsset}`,
      `marketSnapshot.assetPrices.${asset}`,
    );
  }
  return price;
}

export function underlyingPriceOf(context: MarginContext, underlying: string): Decimal {
  const price = context.underlyingPrices.get(underlying);
  if (price === undefined) {
    throw new MarginError(
      'MISSING_MARKET_DATA',
      `no price for underlying ${underlying}`,
      `marketSnapshot.underlyingPrices.${underlying}`,
    );
  }
  return price;
}

/** Settlement assets of the positions, sorted, so groups are always visited in the same order. */
export function settlementAssetsOf(positions: readonly ResolvedPosition[]): string[] {
  return [...new Set(positions.map((position) => position.instrument.settlementAsset))].sort();
}

/** An instrument definition of the JSON format as the domain type (Decimal sizes and strikes). */
export function toInstrument(definition: MarginRequestInstrument): Instrument {
  const contractSize = new Decimal(definition.contractSize);
  if (definition.kind === 'european_option') {
    return { ...definition, contractSize, strikePrice: new Decimal(definition.strikePrice) };
  }
  return { ...definition, contractSize };
}

function decimalMap(record: Readonly<Record<string, string>>): Map<string, Decimal> {
  return new Map(Object.entries(record).map(([key, value]) => [key, new Decimal(value)]));
}
