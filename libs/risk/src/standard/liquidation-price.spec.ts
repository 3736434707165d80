import { Decimal } from '@novation/money';
import { inverseBankruptcyPrice, inverseLiquidationPrice } from './inverse-liquidation.js';
import { linearBankruptcyPrice, linearLiquidationPrice, tieredLinearLiquidationPrice } from './linear-liquidation.js';
import type { LiquidationPrice } from './margin-mode.js';
import type { MarginTier } from './margin-tier.js';
import { tieredMarginRequirement } from './tiered-margin.js';

function priceOf(result: LiquidationPrice): Decimal {
  if (result.kind !== 'price') throw new Error(`expected a price, got ${result.reason}`);
  return result.price;
}

const liquidationPriceBasis = { kind: 'liquidationPrice' } as const;

describe('inverse liquidation and bankruptcy prices', () => {
  // Long 10,000 USD of BTC at 50,000 with 10x isolated margin: e = 10,000 / 50,000 x 0.1 = 0.02 BTC.
  const entryPrice = new Decimal(50000);
  const account = { kind: 'isolated', entryPrice, isolatedMargin: new Decimal('0.02') } as const;

  it("long: p' = Q x (1 + MMF) / (e + Q / p) = 10,050 / 0.22 = 45,681.8181...", () => {
    const price = priceOf(
      inverseLiquidationPrice({
        quoteNotional: new Decimal(10000),
        account,
        maintenanceMarginFraction: new Decimal('0.005'),
        maintenanceAmount: new Decimal(0),
        maintenancePriceBasis: liquidationPriceBasis,
      }),
    );
    expect(price.toDecimalPlaces(4).toFixed()).toBe('45681.8182');
    // Equity in coin equals maintenance in coin at p'.
    const equity = new Decimal('0.02').add(
      new Decimal(10000).mul(new Decimal(1).div(entryPrice).sub(new Decimal(1).div(price))),
    );
    const maintenance = new Decimal(10000).div(price).mul('0.005');
    expect(equity.sub(maintenance).abs().lt('1e-60')).toBe(true);
  });

  it('bankruptcy: long p / (1 + IMR) = 45,454.54..., short p / (1 - IMR) = 55,555.55...', () => {
    const long = priceOf(inverseBankruptcyPrice({ quoteNotional: new Decimal(10000), account }));
    const short = priceOf(inverseBankruptcyPrice({ quoteNotional: new Decimal(-10000), account }));
    expect(long.eq(entryPrice.mul(10).div(11))).toBe(true);
    expect(short.eq(entryPrice.mul(10).div(9))).toBe(true);
  });

  it('a short backed by more coin than its notional is worth is solvent at every price', () => {
    const result = inverseBankruptcyPrice({
      quoteNotional: new Decimal(-10000),
      account: { kind: 'isolated', entryPrice, isolatedMargin: new Decimal('0.25') },
    });
    expect(result).toEqual({ kind: 'none', reason: 'solventAtEveryPrice' });
  });
});

describe('linear prices without a positive solution', () => {
  it('a fully funded long is solvent at every price', () => {
    const result = linearBankruptcyPrice({
      size: new Decimal(1),
      account: { kind: 'isolated', entryPrice: new Decimal(100), isolatedMargin: new Decimal(100) },
    });
    expect(result).toEqual({ kind: 'none', reason: 'solventAtEveryPrice' });
  });

  it('a short whose cross account is deep below maintenance is insolvent at every price', () => {
    const result = linearLiquidationPrice({
      size: new Decimal(-1),
      account: {
        kind: 'cross',
        markPrice: new Decimal(100),
        accountEquity: new Decimal(-200),
        otherPositionsMaintenanceMargin: new Decimal(0),
      },
      maintenanceMarginFraction: new Decimal('0.05'),
      maintenanceAmount: new Decimal(0),
      maintenancePriceBasis: liquidationPriceBasis,
    });
    expect(result).toEqual({ kind: 'none', reason: 'insolventAtEveryPrice' });
  });

  it('rejects a zero size', () => {
    expect(() =>
      linearBankruptcyPrice({
        size: new Decimal(0),
        account: { kind: 'isolated', entryPrice: new Decimal(100), isolatedMargin: new Decimal(1) },
      }),
    ).toThrow(/size must not be zero/);
  });
});

describe('tieredLinearLiquidationPrice', () => {
  const tiers: MarginTier[] = [
    ['0', '50000', '0.008', '0.004'],
    ['50000', '250000', '0.01', '0.005'],
    ['250000', '1000000', '0.02', '0.01'],
  ].map(([floor, cap, initial, maintenance]) => ({
    notionalFloor: new Decimal(floor ?? '0'),
    notionalCap: new Decimal(cap ?? '0'),
    initialMarginFraction: new Decimal(initial ?? '0'),
    maintenanceMarginFraction: new Decimal(maintenance ?? '0'),
  }));

  it.each([
    // Stays in tier 3: (10,000 - 300,000 + 1,300) / (10 x (0.01 - 1)) = 29,161.6161...
    ['30000', '10000', 2, '29161.6162'],
    // Crosses into tier 2: tier 3's line gives 24,111.1 (notional below 250,000), so tier 2's
    // (20,000 - 260,000 + 50) / (10 x (0.005 - 1)) = 24,115.5779 is the one.
    ['26000', '20000', 1, '24115.5779'],
  ])('long 10 BTC at %s with %s margin liquidates in tier %i at %s', (entry, margin, tierIndex, expected) => {
    const size = new Decimal(10);
    const entryPrice = new Decimal(entry);
    const isolatedMargin = new Decimal(margin);
    const price = priceOf(
      tieredLinearLiquidationPrice({ size, account: { kind: 'isolated', entryPrice, isolatedMargin }, tiers }),
    );
    expect(price.toDecimalPlaces(4).toFixed()).toBe(expected);
    const requirement = tieredMarginRequirement({
      notional: size.mul(price),
      tiers,
      openInterestScaling: null,
      openInterestNotional: null,
      scale: 8,
    });
    expect(requirement.tierIndex).toBe(tierIndex);
    const equity = isolatedMargin.add(size.mul(price.sub(entryPrice)));
    expect(equity.sub(requirement.maintenanceMargin).abs().lte('0.00000001')).toBe(true);
  });
});
