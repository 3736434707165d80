import { Decimal } from '@novation/money';
import { initialMarginFractionFromLeverage } from './leverage.js';
import { linearBankruptcyPrice, linearLiquidationPrice } from './linear-liquidation.js';
import type { LiquidationPrice } from './margin-mode.js';

function priceOf(result: LiquidationPrice): Decimal {
  if (result.kind !== 'price') throw new Error(`expected a price, got ${result.reason}`);
  return result.price;
}

// Reference case CV-BYBIT-01. Source: Bybit Help Center "Liquidation Price (USDT Contract)",
// https://testnet.bybit.com/en-US/help-center/s/article/Liquidation-Price-USDT-Contract
// Isolated long: LP = entry - (IM - MM) / size - extra / size; 1 BTC at 20,000, 50x, MMR 0.5%, no
// maintenance deduction, no extra margin -> IM 400, MM 100, LP 19,700 (exact).
describe('Bybit USDT perpetual isolated liquidation price (CV-BYBIT-01)', () => {
  const size = new Decimal(1);
  const entryPrice = new Decimal(20000);
  const maintenanceMarginFraction = new Decimal('0.005');
  const initialMargin = size.mul(entryPrice).mul(initialMarginFractionFromLeverage(new Decimal(50)));
  const extraMargin = new Decimal(0);

  it('IM = value / leverage = 400 and MM = value x MMR = 100', () => {
    expect(initialMargin.toFixed()).toBe('400');
    expect(size.mul(entryPrice).mul(maintenanceMarginFraction).toFixed()).toBe('100');
  });

  it('long 1 BTC at 20,000, 50x: LP = 19,700 with MM valued at entry', () => {
    const price = priceOf(
      linearLiquidationPrice({
        size,
        account: { kind: 'isolated', entryPrice, isolatedMargin: initialMargin.add(extraMargin) },
        maintenanceMarginFraction,
        maintenanceAmount: new Decimal(0),
        maintenancePriceBasis: { kind: 'fixedPrice', price: entryPrice },
      }),
    );
    expect(price.toFixed()).toBe('19700');
  });

  it('the mirror short: LP = entry + (IM - MM) / size = 20,300', () => {
    const price = priceOf(
      linearLiquidationPrice({
        size: size.neg(),
        account: { kind: 'isolated', entryPrice, isolatedMargin: initialMargin },
        maintenanceMarginFraction,
        maintenanceAmount: new Decimal(0),
        maintenancePriceBasis: { kind: 'fixedPrice', price: entryPrice },
      }),
    );
    expect(price.toFixed()).toBe('20300');
  });

  it('extra margin moves the long LP down by extra / size: 100 extra -> 19,600', () => {
    const price = priceOf(
      linearLiquidationPrice({
        size,
        account: { kind: 'isolated', entryPrice, isolatedMargin: initialMargin.add(100) },
        maintenanceMarginFraction,
        maintenanceAmount: new Decimal(0),
        maintenancePriceBasis: { kind: 'fixedPrice', price: entryPrice },
      }),
    );
    expect(price.toFixed()).toBe('19600');
  });
});

// Reference case CV-BYBIT-02. Source: Bybit Help Center "Bankruptcy Price (USDT Contract)",
// https://www.bybit.global/fil-PH/help-center/search-result?...query=trade
// Long bankruptcy price = entry x (1 - IMR), IMR = 1 / leverage; 1 BTC long at 10,000, 50x -> 9,800 (exact).
describe('Bybit USDT contract bankruptcy price (CV-BYBIT-02)', () => {
  const entryPrice = new Decimal(10000);
  const initialMarginFraction = initialMarginFractionFromLeverage(new Decimal(50));

  it('long 1 BTC at 10,000, 50x: bankruptcy price 9,800', () => {
    const price = priceOf(
      linearBankruptcyPrice({
        size: new Decimal(1),
        account: { kind: 'isolated', entryPrice, isolatedMargin: entryPrice.mul(initialMarginFraction) },
      }),
    );
    expect(price.toFixed()).toBe('9800');
    expect(price.eq(entryPrice.mul(new Decimal(1).sub(initialMarginFraction)))).toBe(true);
  });

  it('the mirror short: entry x (1 + IMR) = 10,200', () => {
    const price = priceOf(
      linearBankruptcyPrice({
        size: new Decimal(-1),
        account: { kind: 'isolated', entryPrice, isolatedMargin: entryPrice.mul(initialMarginFraction) },
      }),
    );
    expect(price.toFixed()).toBe('10200');
  });
});
