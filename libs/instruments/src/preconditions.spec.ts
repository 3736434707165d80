import { Decimal } from '@novation/money';
import { averageEntryPrice } from './average-entry-price.js';
import { MILLISECONDS_PER_YEAR, parseExpiryIso, timeToExpiryYears } from './expiry.js';
import type { EuropeanOption, InverseFuture } from './instrument.js';
import { InstrumentError } from './instrument-error.js';
import type { InstrumentErrorCode } from './instrument-error.js';
import { optionPremiumAmount } from './option-settlement.js';
import { realisedPnl } from './pnl.js';
import { notionalValue, positionValue } from './position-value.js';

const d = (value: string): Decimal => new Decimal(value);
const inverseFuture: InverseFuture = {
  kind: 'inverse_future',
  id: 'BTC-28MAR25',
  underlying: 'BTC',
  quoteAsset: 'USD',
  settlementAsset: 'BTC',
  contractSize: d('10'),
  expiryEpochMs: parseExpiryIso('2025-03-28T08:00:00Z'),
};
const call: EuropeanOption = {
  kind: 'european_option',
  id: 'BTC-28MAR25-100000-C',
  underlying: 'BTC',
  quoteAsset: 'USD',
  settlementAsset: 'BTC',
  settlement: 'inverse',
  underlyingReference: 'future',
  optionType: 'call',
  strikePrice: d('100000'),
  contractSize: d('1'),
  expiryEpochMs: inverseFuture.expiryEpochMs,
};

function expectCode(run: () => unknown, code: InstrumentErrorCode): void {
  expect(run).toThrow(InstrumentError);
  expect(run).toThrow(new RegExp(`^${code}:`));
}

describe('contract maths refuses broken inputs with a code', () => {
  it('refuses zero or negative prices, which inverse maths divides by', () => {
    expectCode(() => realisedPnl(inverseFuture, d('1'), d('0'), d('100')), 'NON_POSITIVE_PRICE');
    expectCode(() => positionValue(inverseFuture, d('1'), d('-5')), 'NON_POSITIVE_PRICE');
    expectCode(() => notionalValue(inverseFuture, d('1'), d('0')), 'NON_POSITIVE_PRICE');
  });

  it('refuses a zero contract size and a zero strike in the definition', () => {
    expectCode(
      () => positionValue({ ...inverseFuture, contractSize: d('0') }, d('1'), d('100')),
      'NON_POSITIVE_CONTRACT_SIZE',
    );
    expectCode(() => optionPremiumAmount({ ...call, strikePrice: d('0') }, d('1'), d('0.05')), 'NON_POSITIVE_STRIKE');
  });

  it('refuses a negative premium', () => {
    expectCode(() => optionPremiumAmount(call, d('1'), d('-0.01')), 'NEGATIVE_PREMIUM');
  });

  it('averages only lots in the same direction, of non-zero size', () => {
    const long = { contracts: d('2'), price: d('100') };
    expectCode(
      () => averageEntryPrice(inverseFuture, long, { contracts: d('-1'), price: d('110') }),
      'OPPOSITE_DIRECTIONS',
    );
    expectCode(() => averageEntryPrice(inverseFuture, long, { contracts: d('0'), price: d('110') }), 'ZERO_CONTRACTS');
  });

  it('gives the USD face value as the notional of an inverse future, whatever the price', () => {
    expect(notionalValue(inverseFuture, d('-3'), d('65000')).eq('-30')).toBe(true);
  });
});

describe('expiry', () => {
  it('parses only explicit UTC ISO-8601 instants', () => {
    expect(parseExpiryIso('2025-03-28T08:00:00Z')).toBe(Date.UTC(2025, 2, 28, 8));
    expect(parseExpiryIso('2025-03-28T08:00:00.500Z')).toBe(Date.UTC(2025, 2, 28, 8, 0, 0, 500));
    for (const bad of [
      '2025-03-28',
      '2025-03-28T08:00:00',
      '2025-03-28T08:00:00+01:00',
      'soon',
      '2025-13-40T99:00:00Z',
    ]) {
      expectCode(() => parseExpiryIso(bad), 'INVALID_EXPIRY');
    }
  });

  it('measures time to expiry ACT/365 from a time passed in, and 0 once expired', () => {
    const expiry = parseExpiryIso('2025-03-28T08:00:00Z');
    expect(timeToExpiryYears(expiry, expiry - MILLISECONDS_PER_YEAR / 2)).toBe(0.5);
    expect(timeToExpiryYears(expiry, expiry + 1)).toBe(0);
    expectCode(() => timeToExpiryYears(expiry, Number.NaN), 'INVALID_EXPIRY');
  });
});
