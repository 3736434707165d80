import { Decimal } from '@novation/money';
import type { EuropeanOption } from './instrument.js';
import {
  optionExpiryPnl,
  optionPayoffPerUnit,
  optionPremiumAmount,
  optionSettlementAmount,
} from './option-settlement.js';

/**
 * Golden cases CV-DERIBIT-01, -02, -03, -04 and -06 of /work/shared/reference/cases.json.
 * - 01..03: Deribit docs "Options" (legacy), https://www.deribit.com/pages/docs/options and
 *   https://testapp.deribit.com/pages/docs/options
 * - 04: Deribit support "Options explained",
 *   https://deribit.freshdesk.com/support/solutions/articles/1000057047-options-explained
 * - 06: Deribit Support "Linear USDC Options",
 *   https://support.deribit.com/hc/en-us/articles/25944750999581-Linear-USDC-Options
 * Inverse options pay max(S_T - K, 0) / S_T BTC for a call and max(K - S_T, 0) / S_T BTC for a put.
 * Every amount here is exact in Decimal, so the stated tolerances (1e-12 or 0) are met with equality.
 */
const d = (value: string): Decimal => new Decimal(value);

function btcOption(optionType: 'call' | 'put', strike: string): EuropeanOption {
  return {
    kind: 'european_option',
    id: `BTC-${strike}-${optionType === 'call' ? 'C' : 'P'}`,
    underlying: 'BTC',
    quoteAsset: 'USD',
    settlementAsset: 'BTC',
    settlement: 'inverse',
    underlyingReference: 'spot',
    optionType,
    strikePrice: d(strike),
    contractSize: d('1'),
    expiryEpochMs: 1_735_718_400_000,
  };
}

function expectWithin(actual: Decimal, expected: string, tolerance: string): void {
  expect(actual.minus(expected).abs().lte(tolerance)).toBe(true);
}

describe('Deribit inverse (BTC-settled) option settlement', () => {
  it('CV-DERIBIT-01 call K=10,000 bought for 0.05 BTC, delivery 12,500: settles 0.2 BTC, profit 0.15 BTC', () => {
    const call = btcOption('call', '10000');
    expectWithin(optionSettlementAmount(call, d('1'), d('12500')), '0.2', '1e-12');
    expectWithin(optionExpiryPnl(call, d('1'), d('0.05'), d('12500')), '0.15', '1e-12');
  });

  it('CV-DERIBIT-02 put K=10,000 bought for 0.05 BTC, delivery 5,000: 5,000 USD = 1 BTC, profit 0.95 BTC', () => {
    const put = btcOption('put', '10000');
    expectWithin(optionSettlementAmount(put, d('1'), d('5000')), '1', '1e-12');
    expectWithin(optionExpiryPnl(put, d('1'), d('0.05'), d('5000')), '0.95', '1e-12');
  });

  it.each([
    ['short put', 'put', '10001'],
    ['short call', 'call', '9999'],
  ] as const)(
    'CV-DERIBIT-03 %s K=10,000 sold for 0.05 BTC, delivery %s: expires worthless, seller keeps 0.05 BTC',
    (_name, type, delivery) => {
      const option = btcOption(type, '10000');
      const sold = d('-1');
      expect(optionSettlementAmount(option, sold, d(delivery)).isZero()).toBe(true);
      expect(optionExpiryPnl(option, sold, d('0.05'), d(delivery)).eq('0.05')).toBe(true);
    },
  );

  it.each([
    ['call', '400', '0.25'],
    ['put', '200', '0.5'],
  ] as const)(
    'CV-DERIBIT-04 300 %s at delivery %s pays 100 USD = %s BTC (convexity of the inverse payoff)',
    (type, delivery, expected) => {
      expectWithin(optionPayoffPerUnit(btcOption(type, '300'), d(delivery)), expected, '1e-12');
    },
  );
});

describe('Deribit linear USDC option settlement', () => {
  it('CV-DERIBIT-06 SOL call K=250, premium 10 USDC, multiplier 10, delivery 275: pays 100, settles 250, profit 150', () => {
    const solCall: EuropeanOption = {
      kind: 'european_option',
      id: 'SOL_USDC-250-C',
      underlying: 'SOL',
      quoteAsset: 'USDC',
      settlementAsset: 'USDC',
      settlement: 'linear',
      underlyingReference: 'spot',
      optionType: 'call',
      strikePrice: d('250'),
      contractSize: d('10'),
      expiryEpochMs: 1_735_718_400_000,
    };
    expect(optionPremiumAmount(solCall, d('1'), d('10')).eq('100')).toBe(true);
    expect(optionSettlementAmount(solCall, d('1'), d('275')).eq('250')).toBe(true);
    expect(optionExpiryPnl(solCall, d('1'), d('10'), d('275')).eq('150')).toBe(true);
  });
});
