import { Decimal, roundRequirement } from '@novation/money';
import { assertNonNegative, assertNonZero, assertOpenUnitFraction, assertPositive } from './decimal-preconditions.js';

/**
 * Deribit-style standard (non-portfolio) margin of one option position, in fractions of one unit of the
 * underlying. Deribit documents, for BTC (Deribit "Margin requirements - options"; the same rules are
 * published by Deribit-compatible venues, e.g. bit.com "Margin Rules for USD Margined Options"):
 *   short call  IM = max(a - OTM / S, b) + mark              MM = c + mark
 *   short put   IM = max(max(a - OTM / S, b) + mark, MM)     MM = max(c, c x mark) + mark
 *   long        IM = mark (the premium)                      MM = mark: the long holds no risk beyond its
 *                                                            premium, and its own value in equity cannot
 *                                                            back other positions
 * with a = 0.15, b = 0.1, c = 0.075 for BTC, S the underlying price, mark the option's mark price in coin
 * per unit of underlying, and the out-of-the-money amount (in quote per unit of underlying):
 *   call: OTM = max(K - S, 0)        put: OTM = max(S - K, 0)
 * The put's extra terms matter only for deep in-the-money inverse puts, whose coin mark can exceed 1.
 *
 * Inverse options (coin-settled, Deribit BTC): amounts are in coin, mark in coin per unit.
 * Linear options (quote-settled, Deribit USDC): every term above scales by S, so the per-unit fraction is
 * computed with mark / S and multiplied back by S; amounts are in quote, mark in quote per unit.
 */
export interface StandardOptionMarginParameters {
  /** a: the initial fraction before the out-of-the-money reduction (Deribit BTC: 0.15). */
  readonly initialMarginBaseFraction: Decimal;
  /** b: the floor of the initial fraction (Deribit BTC: 0.1). */
  readonly initialMarginFloorFraction: Decimal;
  /** c: the maintenance fraction (Deribit BTC: 0.075). */
  readonly maintenanceMarginFraction: Decimal;
}

export type StandardOptionType = 'call' | 'put';
export type StandardOptionSettlement = 'inverse' | 'linear';

export interface StandardOptionMarginInput {
  readonly optionType: StandardOptionType;
  readonly settlement: StandardOptionSettlement;
  /** Signed quantity in units of the underlying (contracts x contract size): positive long. */
  readonly quantity: Decimal;
  readonly strikePrice: Decimal;
  readonly underlyingPrice: Decimal;
  /** Per unit of underlying: coin for inverse, quote for linear. */
  readonly optionMarkPrice: Decimal;
  readonly parameters: StandardOptionMarginParameters;
  /** Decimal places of the settlement asset; requirements are rounded up to it. */
  readonly scale: number;
}

export interface StandardOptionMargin {
  readonly initialMargin: Decimal;
  readonly maintenanceMargin: Decimal;
}

/**
 * Requires 0 < c <= b <= a < 1: b <= a keeps the floor a floor, and c <= b keeps a short call's IM at or
 * above its MM (IM >= b + mark >= c + mark). Deribit's 0.15 / 0.1 / 0.075 satisfy it.
 */
export function validateStandardOptionMarginParameters(parameters: StandardOptionMarginParameters): void {
  const { initialMarginBaseFraction: a, initialMarginFloorFraction: b, maintenanceMarginFraction: c } = parameters;
  assertOpenUnitFraction('initialMarginBaseFraction', a);
  assertOpenUnitFraction('initialMarginFloorFraction', b);
  assertOpenUnitFraction('maintenanceMarginFraction', c);
  if (b.gt(a)) throw new RangeError('initialMarginFloorFraction must be <= initialMarginBaseFraction');
  if (c.gt(b)) throw new RangeError('maintenanceMarginFraction must be <= initialMarginFloorFraction');
}

export function outOfTheMoneyAmount(
  optionType: StandardOptionType,
  strikePrice: Decimal,
  underlyingPrice: Decimal,
): Decimal {
  switch (optionType) {
    case 'call':
      return Decimal.max(strikePrice.sub(underlyingPrice), 0);
    case 'put':
      return Decimal.max(underlyingPrice.sub(strikePrice), 0);
  }
}

export function standardOptionMargin(input: StandardOptionMarginInput): StandardOptionMargin {
  const { quantity, strikePrice, underlyingPrice, optionMarkPrice, parameters, scale } = input;
  assertNonZero('quantity', quantity);
  assertPositive('strikePrice', strikePrice);
  assertPositive('underlyingPrice', underlyingPrice);
  assertNonNegative('optionMarkPrice', optionMarkPrice);
  validateStandardOptionMarginParameters(parameters);
  // Per unit of underlying, in coin-equivalent fractions (see the linear note above).
  const unitValue = input.settlement === 'inverse' ? new Decimal(1) : underlyingPrice;
  const mark = optionMarkPrice.div(unitValue);
  let initialPerUnit: Decimal;
  let maintenancePerUnit: Decimal;
  if (quantity.isPositive()) {
    initialPerUnit = mark;
    maintenancePerUnit = mark;
  } else {
    const { initialMarginBaseFraction: a, initialMarginFloorFraction: b, maintenanceMarginFraction: c } = parameters;
    const otmFraction = outOfTheMoneyAmount(input.optionType, strikePrice, underlyingPrice).div(underlyingPrice);
    const riskFraction = Decimal.max(a.sub(otmFraction), b);
    switch (input.optionType) {
      case 'call':
        maintenancePerUnit = c.add(mark);
        initialPerUnit = riskFraction.add(mark);
        break;
      case 'put':
        maintenancePerUnit = Decimal.max(c, c.mul(mark)).add(mark);
        initialPerUnit = Decimal.max(riskFraction.add(mark), maintenancePerUnit);
        break;
    }
  }
  const units = quantity.abs().mul(unitValue);
  return {
    initialMargin: roundRequirement(initialPerUnit.mul(units), scale),
    maintenanceMargin: roundRequirement(maintenancePerUnit.mul(units), scale),
  };
}
