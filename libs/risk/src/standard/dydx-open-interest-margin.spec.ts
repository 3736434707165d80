import { Decimal } from '@novation/money';
import { openInterestScaledInitialMarginFraction } from './open-interest-scaling.js';
import { tieredMarginRequirement } from './tiered-margin.js';

// Reference case CV-DYDX-03 (formula only, no published numbers). Source: dYdX v4 docs,
// docs/pages/concepts/trading/margin.mdx,
// https://github.com/dydxprotocol/v4-documentation/blob/35d58de6156b59240112877212c6b8b502354f5b/docs/pages/concepts/trading/margin.mdx
// IMR = |S x P x I|, MMR = |S x P x M|;
// effective IMF = min(base + max((OI x P - lower) / (upper - lower) x (1 - base), 0), 1).
// The numbers below are hand-computed from those definitions.

const scaling = {
  openInterestLowerCapNotional: new Decimal(1_000_000),
  openInterestUpperCapNotional: new Decimal(2_000_000),
};

describe('dYdX v4 margin definitions (CV-DYDX-03)', () => {
  it.each([
    ['500000', '0.05'], // below the lower cap: base fraction
    ['1000000', '0.05'], // at the lower cap
    ['1500000', '0.525'], // halfway: 0.05 + 0.5 x 0.95
    ['2000000', '1'], // at the upper cap: no leverage
    ['3000000', '1'], // capped at 1
  ])('open interest notional %s gives an initial fraction of %s', (openInterestNotional, expected) => {
    const fraction = openInterestScaledInitialMarginFraction({
      baseInitialMarginFraction: new Decimal('0.05'),
      openInterestNotional: new Decimal(openInterestNotional),
      scaling,
    });
    expect(fraction.toFixed()).toBe(expected);
  });

  it('single tier: IMR = |S x P x I| and MMR = |S x P x M|', () => {
    // S = -3 ETH, P = 3,000: notional 9,000; I = 0.05 -> 450; M = 0.03 -> 270.
    const requirement = tieredMarginRequirement({
      notional: new Decimal(-3).mul(3000).abs(),
      tiers: [
        {
          notionalFloor: new Decimal(0),
          notionalCap: null,
          initialMarginFraction: new Decimal('0.05'),
          maintenanceMarginFraction: new Decimal('0.03'),
        },
      ],
      openInterestScaling: null,
      openInterestNotional: null,
      scale: 6,
    });
    expect(requirement.initialMargin.toFixed()).toBe('450');
    expect(requirement.maintenanceMargin.toFixed()).toBe('270');
  });

  it('single tier with open interest at 1.5M: IMR = 9,000 x 0.525 = 4,725', () => {
    const requirement = tieredMarginRequirement({
      notional: new Decimal(9000),
      tiers: [
        {
          notionalFloor: new Decimal(0),
          notionalCap: null,
          initialMarginFraction: new Decimal('0.05'),
          maintenanceMarginFraction: new Decimal('0.03'),
        },
      ],
      openInterestScaling: scaling,
      openInterestNotional: new Decimal(1_500_000),
      scale: 6,
    });
    expect(requirement.effectiveInitialMarginFraction.toFixed()).toBe('0.525');
    expect(requirement.initialMargin.toFixed()).toBe('4725');
    expect(requirement.maintenanceMargin.toFixed()).toBe('270');
  });

  it('rejects an upper cap at or below the lower cap', () => {
    expect(() =>
      openInterestScaledInitialMarginFraction({
        baseInitialMarginFraction: new Decimal('0.05'),
        openInterestNotional: new Decimal(1),
        scaling: { openInterestLowerCapNotional: new Decimal(5), openInterestUpperCapNotional: new Decimal(5) },
      }),
    ).toThrow(/openInterestUpperCapNotional/);
  });
});
