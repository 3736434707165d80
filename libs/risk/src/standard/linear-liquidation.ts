import { Decimal, ZERO } from '@novation/money';
import { assertNonNegative, assertNonZero, assertOpenUnitFraction, assertPositive } from './decimal-preconditions.js';
import {
  accountAtReferencePrice,
  type LiquidationPrice,
  type MaintenancePriceBasis,
  type MarginMode,
} from './margin-mode.js';
import { validateMarginTiers, type MarginTier } from './margin-tier.js';
import { maintenanceAmounts } from './tier-amounts.js';

/** A linear (quote-settled) contract: PnL = size x (price - reference price), in quote. */
export interface LinearLiquidationInput {
  /** Signed quantity of the underlying: positive long, negative short. */
  readonly size: Decimal;
  readonly account: MarginMode;
  readonly maintenanceMarginFraction: Decimal;
  /** The tier's maintenance amount (Binance `cum`, tier-amounts.ts); 0 for an untiered instrument. */
  readonly maintenanceAmount: Decimal;
  readonly maintenancePriceBasis: MaintenancePriceBasis;
}

/**
 * Liquidation price p' of a linear position: the price at which equity falls to maintenance margin.
 * With e the equity at reference price p (margin-mode.ts), s the signed size, MMF the fraction, F the
 * maintenance that does not move with p' (other positions' MM, minus the tier amount, plus this
 * position's MM when valued at a fixed price):
 *   e + s x (p' - p) = v x |s| x p' + F,   v = MMF (valued at p') or 0 (valued at a fixed price)
 *   p' = (e - s x p - F) / (v x |s| - s)
 * Sources:
 * - dYdX v4 docs, concepts/trading/liquidations.mdx: p' = (e - s x p) / (|s| x MMF - s) (isolated; F = 0),
 *   and for cross the other positions' maintenance requirement is subtracted from e (CV-DYDX-01);
 * - Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts":
 *   LP = (WB - TMM1 + UPNL1 + cumB - Side x Position x EP) / (|Position| x MMR - Side x Position);
 * - Bybit "Liquidation Price (USDT Contract)", isolated long: LP = entry - (IM - MM) / size - extra / size
 *   with MM valued at entry (fixedPrice basis, v = 0, e = IM + extra; CV-BYBIT-01).
 * The price is exact (unrounded); rounding to a tick is the caller's choice.
 */
export function linearLiquidationPrice(input: LinearLiquidationInput): LiquidationPrice {
  const { size, maintenanceMarginFraction, maintenanceAmount } = input;
  assertNonZero('size', size);
  assertOpenUnitFraction('maintenanceMarginFraction', maintenanceMarginFraction);
  assertNonNegative('maintenanceAmount', maintenanceAmount);
  const account = accountAtReferencePrice(input.account);
  let variableFraction = maintenanceMarginFraction;
  let fixedMaintenance = account.otherPositionsMaintenanceMargin.sub(maintenanceAmount);
  const basis = input.maintenancePriceBasis;
  switch (basis.kind) {
    case 'liquidationPrice':
      break;
    case 'fixedPrice':
      assertPositive('maintenancePriceBasis.price', basis.price);
      variableFraction = ZERO;
      fixedMaintenance = fixedMaintenance.add(size.abs().mul(basis.price).mul(maintenanceMarginFraction));
      break;
  }
  return solveLinear(size, account.equity, account.referencePrice, variableFraction, fixedMaintenance);
}

/**
 * Bankruptcy price of a linear position: the price at which the equity backing it reaches zero,
 *   e + s x (p_b - p) = 0   =>   p_b = p - e / s.
 * Bybit "Bankruptcy Price (USDT Contract)": long = entry x (1 - IMR) when e = |s| x entry x IMR
 * (CV-BYBIT-02). In cross mode the other positions are held constant, as in the liquidation price.
 */
export function linearBankruptcyPrice(input: {
  readonly size: Decimal;
  readonly account: MarginMode;
}): LiquidationPrice {
  assertNonZero('size', input.size);
  const account = accountAtReferencePrice(input.account);
  return solveLinear(input.size, account.equity, account.referencePrice, ZERO, ZERO);
}

/**
 * Liquidation price of a linear position whose maintenance follows a tier table, valued at the
 * liquidation price (Binance). The tier depends on the notional |s| x p', which depends on p', so each
 * tier's line is solved and the one whose notional range holds its own solution is kept. Equity minus
 * maintenance is continuous and strictly monotone in p' (slope s - |s| x MMF, MMF < 1), so at most one
 * tier qualifies. The last tier is extended past its cap here: the price where a position would exceed
 * the table is still the price where it breaches maintenance.
 */
export function tieredLinearLiquidationPrice(input: {
  readonly size: Decimal;
  readonly account: MarginMode;
  readonly tiers: readonly MarginTier[];
}): LiquidationPrice {
  const { size, account, tiers } = input;
  assertNonZero('size', size);
  validateMarginTiers(tiers);
  const amounts = maintenanceAmounts(tiers);
  for (let index = 0; index < tiers.length; index += 1) {
    const tier = tiers[index];
    const maintenanceAmount = amounts[index];
    if (tier === undefined || maintenanceAmount === undefined) continue;
    const candidate = linearLiquidationPrice({
      size,
      account,
      maintenanceMarginFraction: tier.maintenanceMarginFraction,
      maintenanceAmount,
      maintenancePriceBasis: { kind: 'liquidationPrice' },
    });
    if (candidate.kind === 'none') continue;
    const notional = size.abs().mul(candidate.price);
    const isLastTier = index === tiers.length - 1;
    const belowCap = isLastTier || tier.notionalCap === null || notional.lt(tier.notionalCap);
    if (!notional.lt(tier.notionalFloor) && belowCap) return candidate;
  }
  // Long: equity - MM rises without bound with p', so no root means solvent down to 0. Short: it falls
  // without bound, so no root means insolvent at every positive price.
  return { kind: 'none', reason: size.isPositive() ? 'solventAtEveryPrice' : 'insolventAtEveryPrice' };
}

function solveLinear(
  size: Decimal,
  equity: Decimal,
  referencePrice: Decimal,
  variableFraction: Decimal,
  fixedMaintenance: Decimal,
): LiquidationPrice {
  const numerator = equity.sub(size.mul(referencePrice)).sub(fixedMaintenance);
  const denominator = variableFraction.mul(size.abs()).sub(size);
  const price = numerator.div(denominator);
  if (price.gt(0)) return { kind: 'price', price };
  // Long: denominator < 0, so price <= 0 means equity >= maintenance even at price 0.
  // Short: denominator > 0, so price <= 0 means equity < maintenance at every positive price.
  return { kind: 'none', reason: size.isPositive() ? 'solventAtEveryPrice' : 'insolventAtEveryPrice' };
}
