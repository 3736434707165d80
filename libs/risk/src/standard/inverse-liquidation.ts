import { Decimal, ZERO } from '@novation/money';
import { assertNonNegative, assertNonZero, assertOpenUnitFraction } from './decimal-preconditions.js';
import {
  accountAtReferencePrice,
  type LiquidationPrice,
  type MaintenancePriceBasis,
  type MarginMode,
} from './margin-mode.js';

/**
 * An inverse (coin-settled) contract: each contract is worth a fixed quote amount (e.g. 100 USD), PnL is
 * paid in coin, and margin and equity are in coin. With Q the signed quote notional (contracts x
 * contract value; positive long):
 *   PnL(p') = Q x (1/p - 1/p')                     (reference README; BitMEX/Bybit/Deribit inverse futures)
 *   position value in coin at p' = |Q| / p'
 */
export interface InverseLiquidationInput {
  /** Signed quote notional: contracts x contract value, positive long, negative short. */
  readonly quoteNotional: Decimal;
  /** Equity in coin; prices in quote per coin. */
  readonly account: MarginMode;
  readonly maintenanceMarginFraction: Decimal;
  /** Tier deduction in coin (Binance COIN-M `cum`); 0 for an untiered instrument. */
  readonly maintenanceAmount: Decimal;
  readonly maintenancePriceBasis: MaintenancePriceBasis;
}

/**
 * Liquidation price of an inverse position: equity in coin meets maintenance in coin,
 *   e + Q x (1/p - 1/p') = v x |Q| / p' + F
 * Multiplying by p' and solving (v = MMF when maintenance is valued at p', else 0; F as in
 * linear-liquidation.ts, in coin, with MM at a fixed price q being |Q| / q x MMF):
 *   p' = (Q + v x |Q|) / (e + Q / p - F)
 * Derived from the PnL definition above (no venue example is in the reference cases); with one position,
 * e = wallet balance WB and F = -cum it reads LP = (N x MMR + Side x N) / (WB + cum + Side x N / EP),
 * N = |Q|, which is how Binance states its single-position COIN-M formula.
 * Long: no positive root when e + Q/p - F <= 0 (even an infinite price does not restore maintenance).
 * Short: no positive root when e - |Q|/p - F >= 0 (the coin collateral covers any rise in price).
 */
export function inverseLiquidationPrice(input: InverseLiquidationInput): LiquidationPrice {
  const { quoteNotional, maintenanceMarginFraction, maintenanceAmount } = input;
  assertNonZero('quoteNotional', quoteNotional);
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
      if (!basis.price.gt(0)) throw new RangeError('maintenancePriceBasis.price must be > 0 for an inverse contract');
      variableFraction = ZERO;
      fixedMaintenance = fixedMaintenance.add(quoteNotional.abs().div(basis.price).mul(maintenanceMarginFraction));
      break;
  }
  return solveInverse(quoteNotional, account.equity, account.referencePrice, variableFraction, fixedMaintenance);
}

/**
 * Bankruptcy price of an inverse position: equity backing it reaches zero,
 *   e + Q x (1/p - 1/p_b) = 0   =>   p_b = Q / (e + Q / p).
 * With e = |Q| / p x IMR this gives long p / (1 + IMR) and short p / (1 - IMR), Bybit's inverse
 * bankruptcy prices for inverse contracts, entry x leverage / (leverage + 1) and entry x leverage /
 * (leverage - 1) (Bybit Help Center "Bankruptcy Price (Inverse Contract)").
 */
export function inverseBankruptcyPrice(input: {
  readonly quoteNotional: Decimal;
  readonly account: MarginMode;
}): LiquidationPrice {
  assertNonZero('quoteNotional', input.quoteNotional);
  const account = accountAtReferencePrice(input.account);
  return solveInverse(input.quoteNotional, account.equity, account.referencePrice, ZERO, ZERO);
}

function solveInverse(
  quoteNotional: Decimal,
  equity: Decimal,
  referencePrice: Decimal,
  variableFraction: Decimal,
  fixedMaintenance: Decimal,
): LiquidationPrice {
  const numerator = quoteNotional.add(variableFraction.mul(quoteNotional.abs()));
  const denominator = equity.add(quoteNotional.div(referencePrice)).sub(fixedMaintenance);
  if (quoteNotional.isPositive() && !denominator.gt(0)) return { kind: 'none', reason: 'insolventAtEveryPrice' };
  if (quoteNotional.isNegative() && !denominator.lt(0)) return { kind: 'none', reason: 'solventAtEveryPrice' };
  return { kind: 'price', price: numerator.div(denominator) };
}
