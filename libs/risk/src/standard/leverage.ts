import { Decimal, ONE } from '@novation/money';
import { assertOpenUnitFraction, assertPositive } from './decimal-preconditions.js';

/**
 * Initial margin fraction of a position opened at a leverage: IMR = 1 / leverage (Bybit, "Bankruptcy
 * Price (USDT Contract)": IMR = 1 / leverage). Leverage must be strictly above 1 so the fraction lies
 * in (0, 1).
 */
export function initialMarginFractionFromLeverage(leverage: Decimal): Decimal {
  assertPositive('leverage', leverage);
  if (!leverage.gt(1)) throw new RangeError(`leverage must be > 1, got ${leverage.toString()}`);
  return ONE.div(leverage);
}

/**
 * Maintenance fraction as a fixed share of the initial fraction at the instrument's maximum leverage.
 * Hyperliquid sets the share to one half: "the maintenance margin is half of the initial margin at max
 * leverage" (Hyperliquid docs, Trading > Margin tiers and Liquidations; reference case CV-HL-01:
 * 20x -> 2.5%, 50x -> 1%, 3x -> 16.7%).
 *
 *   MMF = maintenanceToInitialRatio / maxLeverage
 */
export function maintenanceMarginFractionFromMaxLeverage(input: {
  readonly maxLeverage: Decimal;
  readonly maintenanceToInitialRatio: Decimal;
}): Decimal {
  assertOpenUnitFraction('maintenanceToInitialRatio', input.maintenanceToInitialRatio);
  return initialMarginFractionFromLeverage(input.maxLeverage).mul(input.maintenanceToInitialRatio);
}
