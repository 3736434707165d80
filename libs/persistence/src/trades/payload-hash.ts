import { createHash } from 'node:crypto';
import type { Decimal } from '@novation/money';
import type { VenueTrade } from '@novation/clearing';

/** Plain notation, and no negative zero: `-0`, `0.0` and `0` hash alike. */
function canonicalDecimal(value: Decimal): string {
  return value.isZero() ? '0' : value.toFixed();
}

/**
 * SHA-256 of the canonical JSON of a parsed trade: fields in a fixed order, decimals in plain notation
 * without trailing zeros. Two submissions of the same economic trade (`"1.50"` and `"1.5"`) hash alike;
 * any change to a field changes the hash.
 */
export function tradePayloadHash(trade: VenueTrade): string {
  const canonical = JSON.stringify({
    venueId: trade.venueId,
    tradeId: trade.tradeId,
    instrumentId: trade.instrumentId,
    buyerAccountId: trade.buyerAccountId,
    sellerAccountId: trade.sellerAccountId,
    quantity: canonicalDecimal(trade.quantity),
    price: canonicalDecimal(trade.price),
    buyerFee: canonicalDecimal(trade.buyerFee),
    sellerFee: canonicalDecimal(trade.sellerFee),
    executedAtEpochMs: trade.executedAtEpochMs,
  });
  return createHash('sha256').update(canonical).digest('hex');
}
