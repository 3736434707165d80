import { ZERO } from '@novation/money';
import type { Decimal } from '@novation/money';
import type { EuropeanOption } from './instrument.js';
import { InstrumentError } from './instrument-error.js';
import { assertPositivePrice, assertValidInstrument } from './preconditions.js';

/**
 * Payoff at expiry per unit of the underlying, in the option's settlement asset (Deribit conventions):
 * - linear:  max(S_T - K, 0) for a call, max(K - S_T, 0) for a put, in the quote asset (USDC);
 * - inverse: the same USD amount converted at the delivery price, max(S_T - K, 0) / S_T coin.
 */
export function optionPayoffPerUnit(option: EuropeanOption, deliveryPrice: Decimal): Decimal {
  assertValidInstrument(option);
  assertPositivePrice(deliveryPrice, 'deliveryPrice');
  const moneyness =
    option.optionType === 'call' ? deliveryPrice.minus(option.strikePrice) : option.strikePrice.minus(deliveryPrice);
  const intrinsicInQuote = moneyness.isPositive() && !moneyness.isZero() ? moneyness : ZERO;
  return option.settlement === 'inverse' ? intrinsicInQuote.dividedBy(deliveryPrice) : intrinsicInQuote;
}

/**
 * Amount the holder of `contracts` (negative for a writer) receives at expiry, in the settlement asset:
 * contracts x contractSize x payoff per unit. Negative for a short position: the writer pays it.
 */
export function optionSettlementAmount(option: EuropeanOption, contracts: Decimal, deliveryPrice: Decimal): Decimal {
  return contracts.times(option.contractSize).times(optionPayoffPerUnit(option, deliveryPrice));
}

/**
 * Premium for `contracts` at `premiumPerUnit` (quoted per unit of the underlying in the settlement asset):
 * contracts x contractSize x premium. Positive is paid by a buyer; negative (a sale) is received.
 */
export function optionPremiumAmount(option: EuropeanOption, contracts: Decimal, premiumPerUnit: Decimal): Decimal {
  assertValidInstrument(option);
  if (premiumPerUnit.isNegative() || !premiumPerUnit.isFinite()) {
    throw new InstrumentError('NEGATIVE_PREMIUM', `premiumPerUnit must be >= 0, got ${premiumPerUnit.toFixed()}`);
  }
  return contracts.times(option.contractSize).times(premiumPerUnit);
}

/** PnL held to expiry, in the settlement asset: the settlement received minus the premium paid. */
export function optionExpiryPnl(
  option: EuropeanOption,
  contracts: Decimal,
  premiumPerUnit: Decimal,
  deliveryPrice: Decimal,
): Decimal {
  return optionSettlementAmount(option, contracts, deliveryPrice).minus(
    optionPremiumAmount(option, contracts, premiumPerUnit),
  );
}
