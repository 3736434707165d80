import type { Decimal } from '@novation/money';
import type { DatedFuture } from './instrument.js';
import { realisedPnl } from './pnl.js';

/**
 * Final settlement of a dated future: the open position is closed at the delivery price (the exchange's
 * settlement index over its averaging window, chosen by the caller). PnL in the settlement asset:
 * linear contracts x size x (delivery - entry); inverse contracts x size x (1/entry - 1/delivery) coin.
 */
export function futureSettlementPnl(
  future: DatedFuture,
  contracts: Decimal,
  entryPrice: Decimal,
  deliveryPrice: Decimal,
): Decimal {
  return realisedPnl(future, contracts, entryPrice, deliveryPrice);
}
