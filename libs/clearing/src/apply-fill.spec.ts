import { Decimal } from '@novation/money';
import type { EuropeanOption, InversePerpetual, LinearPerpetual } from '@novation/instruments';
import { applyFill } from './apply-fill.js';
import type { ClearingPosition, Fill } from './apply-fill.js';
import { ClearingError } from './clearing-error.js';

const d = (value: string): Decimal => new Decimal(value);
const buy = (quantity: string, price: string): Fill => ({ side: 'buy', quantity: d(quantity), price: d(price) });
const sell = (quantity: string, price: string): Fill => ({ side: 'sell', quantity: d(quantity), price: d(price) });

const linear: LinearPerpetual = {
  kind: 'linear_perpetual',
  id: 'BTC-USDC-PERP',
  underlying: 'BTC',
  quoteAsset: 'USDC',
  settlementAsset: 'USDC',
  contractSize: d('0.01'),
};

const inverse: InversePerpetual = {
  kind: 'inverse_perpetual',
  id: 'BTC-PERPETUAL',
  underlying: 'BTC',
  quoteAsset: 'USD',
  settlementAsset: 'BTC',
  contractSize: d('10'),
};

const option: EuropeanOption = {
  kind: 'european_option',
  id: 'BTC-10000-C',
  underlying: 'BTC',
  quoteAsset: 'USD',
  settlementAsset: 'BTC',
  settlement: 'inverse',
  underlyingReference: 'spot',
  optionType: 'call',
  strikePrice: d('10000'),
  contractSize: d('1'),
  expiryEpochMs: 1_735_718_400_000,
};

const position = (quantity: string, entry: string | null, realised = '0'): ClearingPosition => ({
  quantity: d(quantity),
  averageEntryPrice: entry === null ? null : d(entry),
  realisedPnl: d(realised),
});

function expectPosition(actual: ClearingPosition, quantity: string, entry: string | null, realised: string): void {
  expect(actual.quantity.toFixed()).toBe(d(quantity).toFixed());
  expect(actual.averageEntryPrice?.toFixed() ?? null).toBe(entry === null ? null : d(entry).toFixed());
  expect(actual.realisedPnl.toFixed()).toBe(d(realised).toFixed());
}

describe('applyFill on a linear perpetual (contractSize 0.01 BTC, PnL in USDC)', () => {
  it('opens at the fill price', () => {
    const result = applyFill(undefined, buy('10', '50000'), linear);
    expect(result.effect).toBe('open');
    expect(result.realisedPnl.isZero()).toBe(true);
    expectPosition(result.position, '10', '50000', '0');
  });

  it('increases with the arithmetic mean: (10 x 50000 + 30 x 54000) / 40 = 2120000 / 40 = 53000', () => {
    const result = applyFill(position('10', '50000'), buy('30', '54000'), linear);
    expect(result.effect).toBe('increase');
    expectPosition(result.position, '40', '53000', '0');
  });

  it('reduces at the old average: 20 x 0.01 x (55000 - 53000) = 400 USDC', () => {
    const result = applyFill(position('40', '53000'), sell('20', '55000'), linear);
    expect(result.effect).toBe('reduce');
    expect(result.realisedPnl.toFixed()).toBe('400');
    expectPosition(result.position, '20', '53000', '400');
  });

  it('closes at a loss: 20 x 0.01 x (52000 - 53000) = -200; cumulative 400 - 200 = 200', () => {
    const result = applyFill(position('20', '53000', '400'), sell('20', '52000'), linear);
    expect(result.effect).toBe('close');
    expect(result.realisedPnl.toFixed()).toBe('-200');
    expectPosition(result.position, '0', null, '200');
  });

  it('flips: closes 20 at 52000 (-200), opens 30 short at the fill price', () => {
    const result = applyFill(position('20', '53000'), sell('50', '52000'), linear);
    expect(result.effect).toBe('flip');
    expect(result.realisedPnl.toFixed()).toBe('-200');
    expectPosition(result.position, '-30', '52000', '-200');
  });

  it('increases a short: (-30 x 52000 + -10 x 48000) / -40 = 51000', () => {
    const result = applyFill(position('-30', '52000'), sell('10', '48000'), linear);
    expect(result.effect).toBe('increase');
    expectPosition(result.position, '-40', '51000', '0');
  });

  it('reduces a short with a profit: closed -10 x 0.01 x (51000 - 52000) = 100 USDC', () => {
    const result = applyFill(position('-30', '52000'), buy('10', '51000'), linear);
    expect(result.effect).toBe('reduce');
    expect(result.realisedPnl.toFixed()).toBe('100');
    expectPosition(result.position, '-20', '52000', '100');
  });
});

describe('applyFill on an inverse perpetual (10 USD per contract, PnL in BTC)', () => {
  it('closes a long: 100 x 10 x (1/40000 - 1/50000) = 1000 x 0.000005 = 0.005 BTC', () => {
    const opened = applyFill(undefined, buy('100', '40000'), inverse);
    const closed = applyFill(opened.position, sell('100', '50000'), inverse);
    expect(closed.effect).toBe('close');
    expect(closed.realisedPnl.toFixed()).toBe('0.005');
  });

  it('closes a short: -100 x 10 x (1/50000 - 1/40000) = 0.005 BTC', () => {
    const result = applyFill(position('-100', '50000'), buy('100', '40000'), inverse);
    expect(result.realisedPnl.toFixed()).toBe('0.005');
  });

  it('averages harmonically: 200 / (100/40000 + 100/60000) = 200 x 120000 / 500 = 48000, not 50000', () => {
    const result = applyFill(position('100', '40000'), buy('100', '60000'), inverse);
    expect(result.effect).toBe('increase');
    expect(result.position.averageEntryPrice?.toDecimalPlaces(40).toFixed()).toBe('48000');
  });

  it('realises the same PnL as the two lots: 0.005 + 1000 x (1/60000 - 1/50000) = 1/600 BTC', () => {
    const increased = applyFill(position('100', '40000'), buy('100', '60000'), inverse);
    const closed = applyFill(increased.position, sell('200', '50000'), inverse);
    // 2000 x (1/48000 - 1/50000) = 2000 x 2000 / 2.4e9 = 1/600 = 0.0016666...
    expect(closed.realisedPnl.toDecimalPlaces(18).toFixed()).toBe('0.001666666666666667');
  });

  it('flips: closes 100 long at 50000 (+0.005 BTC) and opens 50 short at 50000', () => {
    const result = applyFill(position('100', '40000'), sell('150', '50000'), inverse);
    expect(result.effect).toBe('flip');
    expect(result.realisedPnl.toFixed()).toBe('0.005');
    expectPosition(result.position, '-50', '50000', '0.005');
  });
});

describe('applyFill on an option (premium-settled)', () => {
  it('averages the premium and realises nothing on a reduce: the premium already changed hands', () => {
    const opened = applyFill(undefined, buy('2', '0.05'), option);
    const increased = applyFill(opened.position, buy('2', '0.07'), option);
    expectPosition(increased.position, '4', '0.06', '0');
    const reduced = applyFill(increased.position, sell('1', '0.08'), option);
    expect(reduced.effect).toBe('reduce');
    expect(reduced.realisedPnl.isZero()).toBe(true);
    expectPosition(reduced.position, '3', '0.06', '0');
  });
});

describe('applyFill preconditions', () => {
  it.each<[string, ClearingPosition | undefined, Fill, string]>([
    ['a zero quantity', undefined, buy('0', '1'), 'NON_POSITIVE_QUANTITY'],
    ['a negative price', undefined, buy('1', '-1'), 'NON_POSITIVE_PRICE'],
    ['an unknown side', undefined, { side: 'hold' as 'buy', quantity: d('1'), price: d('1') }, 'INVALID_FIELD_TYPE'],
    ['an open position without entry price', position('1', null), buy('1', '1'), 'INVALID_POSITION'],
    ['a flat position with an entry price', position('0', '100'), buy('1', '1'), 'INVALID_POSITION'],
    ['a non-finite quantity', position('NaN', '100'), buy('1', '1'), 'OUT_OF_RANGE'],
  ])('refuses %s', (_name, current, fill, code) => {
    expect(() => applyFill(current, fill, linear)).toThrow(ClearingError);
    expect(() => applyFill(current, fill, linear)).toThrow(new RegExp(`^${code}`));
  });
});
