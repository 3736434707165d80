import { Decimal } from '@novation/money';
import { linearLiquidationPrice } from './linear-liquidation.js';
import type { LiquidationPrice, MarginMode } from './margin-mode.js';

// Reference case CV-DYDX-01. Source: dYdX v4 docs, docs/pages/concepts/trading/liquidations.mdx,
// https://github.com/dydxprotocol/v4-documentation/blob/df2cc995218196355dacc139d6695536947c0e7e/docs/pages/concepts/trading/liquidations.mdx
// p' = (e - s x p) / (|s| x MMF - s): short 3 ETH at 3,000 with equity 1,000, MMF 5%
// -> liquidation price 3,174.6 and equity at liquidation 476.2 (tolerance 0.01).

function priceOf(result: LiquidationPrice): Decimal {
  if (result.kind !== 'price') throw new Error(`expected a price, got ${result.reason}`);
  return result.price;
}

const size = new Decimal(-3);
const entryPrice = new Decimal(3000);
const equity = new Decimal(1000);
const maintenanceMarginFraction = new Decimal('0.05');

describe('dYdX v4 liquidation price (CV-DYDX-01)', () => {
  it.each<[string, MarginMode]>([
    ['isolated', { kind: 'isolated', entryPrice, isolatedMargin: equity }],
    [
      'cross with no other positions',
      { kind: 'cross', markPrice: entryPrice, accountEquity: equity, otherPositionsMaintenanceMargin: new Decimal(0) },
    ],
  ])('short 3 ETH at 3,000, equity 1,000, MMF 5%% (%s) liquidates at 3,174.6', (_label, account) => {
    const price = priceOf(
      linearLiquidationPrice({
        size,
        account,
        maintenanceMarginFraction,
        maintenanceAmount: new Decimal(0),
        maintenancePriceBasis: { kind: 'liquidationPrice' },
      }),
    );
    expect(price.sub('3174.6').abs().toNumber()).toBeLessThanOrEqual(0.01);
    const equityAtLiquidation = equity.add(size.mul(price.sub(entryPrice)));
    expect(equityAtLiquidation.sub('476.2').abs().toNumber()).toBeLessThanOrEqual(0.01);
    // At p' the equity equals the maintenance requirement |s| x p' x MMF exactly.
    expect(equityAtLiquidation.sub(size.abs().mul(price).mul(maintenanceMarginFraction)).abs().lt('1e-60')).toBe(true);
  });

  it("cross: other positions maintenance is subtracted from equity, p' = (e - s x p - MMR_o) / (|s| x MMF - s)", () => {
    // Hand check: (1,000 + 9,000 - 100) / (0.15 + 3) = 9,900 / 3.15 = 3,142.857142...
    const price = priceOf(
      linearLiquidationPrice({
        size,
        account: {
          kind: 'cross',
          markPrice: entryPrice,
          accountEquity: equity,
          otherPositionsMaintenanceMargin: new Decimal(100),
        },
        maintenanceMarginFraction,
        maintenanceAmount: new Decimal(0),
        maintenancePriceBasis: { kind: 'liquidationPrice' },
      }),
    );
    expect(price.toDecimalPlaces(6).toFixed()).toBe('3142.857143');
  });
});
