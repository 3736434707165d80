import { Decimal } from '@novation/money';
import { validateMarginTiers, type MarginTier } from './margin-tier.js';
import { tieredMarginRequirement } from './tiered-margin.js';

function tier(floor: string, cap: string | null, initial: string, maintenance: string): MarginTier {
  return {
    notionalFloor: new Decimal(floor),
    notionalCap: cap === null ? null : new Decimal(cap),
    initialMarginFraction: new Decimal(initial),
    maintenanceMarginFraction: new Decimal(maintenance),
  };
}

const tiers = [tier('0', '1000', '0.1', '0.05'), tier('1000', '5000', '0.2', '0.1')];

describe('validateMarginTiers', () => {
  it.each<[string, MarginTier[], RegExp]>([
    ['an empty table', [], /at least one tier/],
    ['a first floor above 0', [tier('1', null, '0.1', '0.05')], /start at notional 0/],
    ['a gap', [tier('0', '1000', '0.1', '0.05'), tier('1001', null, '0.2', '0.1')], /contiguous/],
    ['an uncapped inner tier', [tier('0', null, '0.1', '0.05'), tier('1000', null, '0.2', '0.1')], /only the last/],
    ['MMF >= IMF', [tier('0', null, '0.1', '0.1')], /must be < initialMarginFraction/],
    ['a fraction of 1', [tier('0', null, '1', '0.1')], /\(0, 1\)/],
    ['a falling rate', [tier('0', '1000', '0.2', '0.1'), tier('1000', null, '0.15', '0.1')], /must not decrease/],
  ])('rejects %s', (_label, table, message) => {
    expect(() => validateMarginTiers(table)).toThrow(message);
  });

  it('accepts a contiguous, non-decreasing table', () => {
    expect(() => validateMarginTiers(tiers)).not.toThrow();
  });
});

describe('tieredMarginRequirement', () => {
  const base = { tiers, openInterestScaling: null, openInterestNotional: null, scale: 2 };

  it('charges each tier rate on the part of the notional inside it', () => {
    // 3,000 notional: IM = 1,000 x 0.1 + 2,000 x 0.2 = 500 = 3,000 x 0.2 - 1,000 x 0.1;
    // MM = 1,000 x 0.05 + 2,000 x 0.1 = 250.
    const result = tieredMarginRequirement({ ...base, notional: new Decimal(3000) });
    expect(result.tierIndex).toBe(1);
    expect(result.initialMargin.toFixed()).toBe('500');
    expect(result.maintenanceMargin.toFixed()).toBe('250');
  });

  it('rounds both requirements up to the scale', () => {
    // 0.001 x 0.1 = 0.0001 -> 0.01; 0.001 x 0.05 = 0.00005 -> 0.01.
    const result = tieredMarginRequirement({ ...base, notional: new Decimal('0.001') });
    expect(result.initialMargin.toFixed()).toBe('0.01');
    expect(result.maintenanceMargin.toFixed()).toBe('0.01');
  });

  it('rejects a notional at or above the last finite cap', () => {
    expect(() => tieredMarginRequirement({ ...base, notional: new Decimal(5000) })).toThrow(/largest tier cap/);
  });

  it('requires the open interest when scaling is configured', () => {
    expect(() =>
      tieredMarginRequirement({
        ...base,
        notional: new Decimal(10),
        openInterestScaling: {
          openInterestLowerCapNotional: new Decimal(0),
          openInterestUpperCapNotional: new Decimal(1),
        },
      }),
    ).toThrow(/openInterestNotional is required/);
  });

  it('zero notional needs zero margin', () => {
    const result = tieredMarginRequirement({ ...base, notional: new Decimal(0) });
    expect(result.initialMargin.isZero()).toBe(true);
    expect(result.maintenanceMargin.isZero()).toBe(true);
  });
});
