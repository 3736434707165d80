import { Decimal } from '@novation/money';
import type { MaxTradeSizeResult } from '../sizing/max-trade-size.js';
import { maxTradeSize } from '../sizing/max-trade-size.js';
import { computeMargin } from './compute-margin.js';
import { MarginError } from './margin-error.js';
import type { MarginRequest } from './margin-request-schema.js';

export interface MarginSizingQuery {
  readonly instrumentId: string;
  /** Lot size: answers are multiples of it. */
  readonly quantityStep: Decimal;
  /** Per-side cap (position limit or largest order). */
  readonly quantityMax: Decimal;
}

/**
 * The largest quantity of `instrumentId` an account can buy and sell without its equity (after IM
 * haircuts) falling below IM under its own model. The hypothetical trade is done at the mark price
 * with no fee, so it leaves equity unchanged (a future opened at mark has no PnL; an option bought at
 * mark swaps cash for the same value) and only the requirement moves: evaluate(q) = (E, IM(position + q)).
 * The bisection itself lives in sizing/max-trade-size.ts.
 */
export function maxTradeSizeForRequest(request: MarginRequest, query: MarginSizingQuery): MaxTradeSizeResult {
  const instrument = request.marketSnapshot.instruments.find((candidate) => candidate.id === query.instrumentId);
  if (instrument === undefined) {
    throw new MarginError('UNKNOWN_INSTRUMENT', `no instrument ${query.instrumentId}`, 'instrumentId');
  }
  const mark = request.marketSnapshot.markPrices[query.instrumentId];
  if (mark === undefined) {
    throw new MarginError('MISSING_MARKET_DATA', `no mark price for ${query.instrumentId}`, 'instrumentId');
  }
  const equity = new Decimal(computeMargin(request).equityForInitialMargin);
  const existing = request.positions.find((position) => position.instrumentId === query.instrumentId);
  const others = request.positions.filter((position) => position.instrumentId !== query.instrumentId);
  const existingQuantity = new Decimal(existing?.quantity ?? '0');
  return maxTradeSize({
    quantityStep: query.quantityStep,
    quantityMax: query.quantityMax,
    evaluate: (added) => {
      const quantity = existingQuantity.plus(added);
      // Entry at mark: the requirement depends on the position, not on the PnL already made.
      const moved = quantity.isZero()
        ? others
        : [
            ...others,
            {
              instrumentId: query.instrumentId,
              quantity: quantity.toFixed(),
              ...(instrument.kind === 'european_option' || instrument.kind === 'spot'
                ? {}
                : { averageEntryPrice: mark }),
            },
          ];
      return { equity, initialMargin: new Decimal(computeMargin({ ...request, positions: moved }).initialMargin) };
    },
  });
}
