import { black76Greeks } from './black-76.js';
import { generalisedBlackScholesValue } from './generalised-black-scholes.js';
import { generalisedBlackScholesGreeks } from './generalised-black-scholes-greeks.js';
import { inverseOptionDeltaInCoin, inverseOptionValue } from './inverse-option.js';
import { OptionPricingError } from './option-pricing-error.js';
import type { OptionPricingErrorCode } from './option-pricing-error.js';
import type { GeneralisedBlackScholesInputs } from './option-pricing-inputs.js';

const valid: GeneralisedBlackScholesInputs = {
  optionType: 'call',
  underlyingPrice: 100,
  strikePrice: 90,
  timeToExpiryYears: 0.5,
  volatility: 0.2,
  riskFreeRate: 0.01,
  dividendYield: 0,
};

function expectCode(run: () => unknown, code: OptionPricingErrorCode): void {
  expect(run).toThrow(OptionPricingError);
  expect(run).toThrow(new RegExp(`^${code}:`));
}

describe('option pricing input validation', () => {
  it.each([
    ['NaN spot', { underlyingPrice: Number.NaN }, 'NON_FINITE_INPUT'],
    ['infinite rate', { riskFreeRate: Number.POSITIVE_INFINITY }, 'NON_FINITE_INPUT'],
    ['zero spot', { underlyingPrice: 0 }, 'NON_POSITIVE_UNDERLYING_PRICE'],
    ['negative strike', { strikePrice: -1 }, 'NON_POSITIVE_STRIKE_PRICE'],
    ['negative time', { timeToExpiryYears: -0.01 }, 'NEGATIVE_TIME_TO_EXPIRY'],
    ['zero volatility', { volatility: 0 }, 'NON_POSITIVE_VOLATILITY'],
    ['unknown option type', { optionType: 'straddle' as 'call' }, 'UNKNOWN_OPTION_TYPE'],
  ] as const)('refuses %s', (_name, overrides, code) => {
    expectCode(() => generalisedBlackScholesValue({ ...valid, ...overrides }), code);
    expectCode(() => generalisedBlackScholesGreeks({ ...valid, ...overrides }), code);
  });

  it('prices an option at expiry at its intrinsic value, undiscounted, but has no greeks there', () => {
    const expiring = { ...valid, timeToExpiryYears: 0 };
    expect(generalisedBlackScholesValue(expiring)).toBe(10);
    expect(generalisedBlackScholesValue({ ...expiring, optionType: 'put' })).toBe(0);
    expect(inverseOptionValue(expiring)).toBe(0.1);
    expectCode(() => generalisedBlackScholesGreeks(expiring), 'EXPIRED_OPTION_HAS_NO_GREEKS');
    expectCode(() => inverseOptionDeltaInCoin(expiring), 'EXPIRED_OPTION_HAS_NO_GREEKS');
    expectCode(
      () =>
        black76Greeks({
          optionType: 'call',
          forwardPrice: 100,
          strikePrice: 90,
          timeToExpiryYears: 0,
          volatility: 0.2,
          riskFreeRate: 0,
        }),
      'EXPIRED_OPTION_HAS_NO_GREEKS',
    );
  });
});
