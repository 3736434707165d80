import { Decimal } from '@novation/money';
import { computeMargin, parseMarginRequest } from './compute-margin.js';
import { MarginError } from './margin-error.js';
import { standardPerpetualRequest } from './margin-request-fixtures.js';
import { maxTradeSizeForRequest } from './margin-sizing.js';

describe('maxTradeSizeForRequest', () => {
  // Equity after IM haircuts 47,400 (see compute-margin.spec.ts); IM = 10% of |position| x 52,000 = 5,200
  // per contract. Feasible |position| <= 47,400 / 5,200 = 9.115...: buy up to 9.1 - 2 = 7.1 (step 0.1),
  // sell down to -9.1, i.e. 11.1.
  const request = parseMarginRequest(standardPerpetualRequest());
  const query = { instrumentId: 'BTC-USDC-PERP', quantityStep: new Decimal('0.1'), quantityMax: new Decimal('1000') };

  it('finds the largest buy and sell that keep equity >= IM, binding on IM', () => {
    const { buy, sell } = maxTradeSizeForRequest(request, query);
    expect(buy.quantity.toFixed()).toBe('7.1');
    expect(sell.quantity.toFixed()).toBe('11.1');
    expect(buy.bindingConstraint).toBe('initial-margin');
    expect(sell.bindingConstraint).toBe('initial-margin');
    const after = computeMargin({
      ...request,
      positions: [{ instrumentId: 'BTC-USDC-PERP', quantity: '9.1', averageEntryPrice: '52000' }],
    });
    expect(new Decimal(after.initialMargin).lte(new Decimal('47400'))).toBe(true);
  });

  it('reports the quantity limit when it binds first', () => {
    const { buy } = maxTradeSizeForRequest(request, { ...query, quantityMax: new Decimal('3') });
    expect(buy.quantity.toFixed()).toBe('3');
    expect(buy.bindingConstraint).toBe('quantity-limit');
  });

  it('sizes an instrument the account does not hold yet', () => {
    const { sell } = maxTradeSizeForRequest(request, { ...query, instrumentId: 'BTC-30D-60000-C' });
    expect(sell.quantity.gt(0)).toBe(true);
  });

  it('refuses an unknown instrument', () => {
    expect(() => maxTradeSizeForRequest(request, { ...query, instrumentId: 'NOPE' })).toThrow(MarginError);
  });
});
