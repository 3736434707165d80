import fc from 'fast-check';
import { Decimal } from '@novation/money';
import type { MarginTier } from './margin-tier.js';
import { tieredMarginRequirement } from './tiered-margin.js';

// Properties of the tiered requirement (tiered-margin.ts) over random valid tier tables: it never falls
// as the notional grows, it is continuous at every tier floor, and IM >= MM. Requirements are rounded
// up to scale 8, so comparisons allow one unit of the last place.
const tierTable = fc
  .array(
    fc.record({
      width: fc.integer({ min: 1, max: 1_000_000 }),
      maintenanceStep: fc.integer({ min: 0, max: 50 }),
      initialGap: fc.integer({ min: 1, max: 50 }),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((steps) => {
    let floor = 0;
    let maintenance = 1; // in basis points
    let initial = 0;
    return steps.map((step, index): MarginTier => {
      maintenance += step.maintenanceStep;
      initial = Math.max(initial, maintenance + step.initialGap);
      const tier: MarginTier = {
        notionalFloor: new Decimal(floor),
        notionalCap: index === steps.length - 1 ? null : new Decimal(floor + step.width),
        initialMarginFraction: new Decimal(initial).div(10_000),
        maintenanceMarginFraction: new Decimal(maintenance).div(10_000),
      };
      floor += step.width;
      return tier;
    });
  });

function requirementAt(tiers: readonly MarginTier[], notional: Decimal) {
  return tieredMarginRequirement({ notional, tiers, openInterestScaling: null, openInterestNotional: null, scale: 8 });
}

const lastPlace = new Decimal('0.00000001');

describe('tiered margin properties', () => {
  it('is monotone in notional and IM >= MM', () => {
    fc.assert(
      fc.property(
        tierTable,
        fc.integer({ min: 0, max: 7_000_000 }),
        fc.integer({ min: 0, max: 7_000_000 }),
        (tiers, a, b) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          const lower = requirementAt(tiers, new Decimal(low));
          const upper = requirementAt(tiers, new Decimal(high));
          return (
            upper.maintenanceMargin.gte(lower.maintenanceMargin) &&
            upper.initialMargin.gte(lower.initialMargin) &&
            upper.initialMargin.gte(upper.maintenanceMargin)
          );
        },
      ),
      { numRuns: 200, seed: 20240601 },
    );
  });

  it('is continuous at every tier floor', () => {
    fc.assert(
      fc.property(tierTable, (tiers) =>
        tiers.slice(1).every((tier) => {
          const at = requirementAt(tiers, tier.notionalFloor);
          const below = requirementAt(tiers, tier.notionalFloor.sub('0.000001'));
          return (
            at.maintenanceMargin.sub(below.maintenanceMargin).abs().lte(lastPlace.mul(2)) &&
            at.initialMargin.sub(below.initialMargin).abs().lte(lastPlace.mul(2))
          );
        }),
      ),
      { numRuns: 200, seed: 20240601 },
    );
  });
});
