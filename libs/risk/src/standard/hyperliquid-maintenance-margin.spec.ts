import { Decimal } from '@novation/money';
import { maintenanceMarginFractionFromMaxLeverage } from './leverage.js';

// Reference case CV-HL-01. Source: Hyperliquid docs, Trading > Margin tiers and Liquidations,
// https://hyperliquid.gitbook.io/hyperliquid-docs/trading/margin-tiers and .../trading/liquidations
// Maintenance margin rate = half the initial margin rate at max leverage:
// 20x -> 2.5%, 50x -> 1%, 3x -> 16.7% (tolerance 5e-5).
describe('Hyperliquid maintenance margin rate (CV-HL-01)', () => {
  it.each([
    [20, 0.025],
    [50, 0.01],
    [3, 0.1667],
  ])('max leverage %ix gives MMR %d', (maxLeverage, expected) => {
    const fraction = maintenanceMarginFractionFromMaxLeverage({
      maxLeverage: new Decimal(maxLeverage),
      maintenanceToInitialRatio: new Decimal('0.5'),
    });
    expect(Math.abs(fraction.toNumber() - expected)).toBeLessThanOrEqual(5e-5);
  });

  it('rejects a leverage of 1 or less, which leaves no fraction in (0, 1)', () => {
    expect(() =>
      maintenanceMarginFractionFromMaxLeverage({
        maxLeverage: new Decimal(1),
        maintenanceToInitialRatio: new Decimal('0.5'),
      }),
    ).toThrow(/leverage must be > 1/);
  });
});
