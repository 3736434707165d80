import { Decimal, ZERO } from '@novation/money';
import { assertFinite, assertNonNegative, assertPositive } from './decimal-preconditions.js';

/**
 * What backs a position when its liquidation or bankruptcy price is solved for.
 *
 * - isolated: the position has its own collateral (`isolatedMargin`, including any margin added after
 *   opening); equity at the entry price is that collateral, and nothing else counts.
 * - cross: the whole account backs it. `accountEquity` is measured at `markPrice` and includes this
 *   position's unrealised PnL at that mark; other positions' PnL and maintenance margin are held constant
 *   while this position's price moves (the dYdX and Binance single-position approximation).
 */
export type MarginMode =
  | { readonly kind: 'isolated'; readonly entryPrice: Decimal; readonly isolatedMargin: Decimal }
  | {
      readonly kind: 'cross';
      readonly markPrice: Decimal;
      readonly accountEquity: Decimal;
      readonly otherPositionsMaintenanceMargin: Decimal;
    };

/**
 * At which price the position's own maintenance margin is valued:
 * - liquidationPrice: at the price being solved for (dYdX, Binance): MM = |size| x p' x MMF - amount;
 * - fixedPrice: at a given price, usually entry (Bybit: "IM and MM are calculated at entry price").
 */
export type MaintenancePriceBasis =
  { readonly kind: 'liquidationPrice' } | { readonly kind: 'fixedPrice'; readonly price: Decimal };

/** The solved price, or why no positive price is one. */
export type LiquidationPrice =
  | { readonly kind: 'price'; readonly price: Decimal }
  | { readonly kind: 'none'; readonly reason: 'solventAtEveryPrice' | 'insolventAtEveryPrice' };

/** The account reduced to the three numbers the solvers need. */
export interface AccountAtReferencePrice {
  readonly equity: Decimal;
  readonly referencePrice: Decimal;
  readonly otherPositionsMaintenanceMargin: Decimal;
}

export function accountAtReferencePrice(account: MarginMode): AccountAtReferencePrice {
  switch (account.kind) {
    case 'isolated':
      assertPositive('entryPrice', account.entryPrice);
      assertNonNegative('isolatedMargin', account.isolatedMargin);
      return {
        equity: account.isolatedMargin,
        referencePrice: account.entryPrice,
        otherPositionsMaintenanceMargin: ZERO,
      };
    case 'cross':
      assertPositive('markPrice', account.markPrice);
      assertFinite('accountEquity', account.accountEquity);
      assertNonNegative('otherPositionsMaintenanceMargin', account.otherPositionsMaintenanceMargin);
      return {
        equity: account.accountEquity,
        referencePrice: account.markPrice,
        otherPositionsMaintenanceMargin: account.otherPositionsMaintenanceMargin,
      };
  }
}
