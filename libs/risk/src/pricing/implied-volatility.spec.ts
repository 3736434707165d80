import fc from 'fast-check';
import { generalisedBlackScholesValue } from './generalised-black-scholes.js';
import { IMPLIED_VOLATILITY_ITERATIONS_MAX, impliedVolatility } from './implied-volatility.js';
import type { ImpliedVolatilityInputs } from './implied-volatility.js';
import { ImpliedVolatilityError } from './implied-volatility-error.js';
import type { ImpliedVolatilityErrorCode } from './implied-volatility-error.js';
import type { GeneralisedBlackScholesInputs } from './option-pricing-inputs.js';

function withPrice(inputs: GeneralisedBlackScholesInputs, optionPrice: number): ImpliedVolatilityInputs {
  const { volatility: _volatility, ...rest } = inputs;
  return { ...rest, optionPrice };
}

function roundTrip(inputs: GeneralisedBlackScholesInputs): number {
  return impliedVolatility(withPrice(inputs, generalisedBlackScholesValue(inputs))).volatility;
}

function expectErrorCode(run: () => unknown, code: ImpliedVolatilityErrorCode): void {
  expect(run).toThrow(ImpliedVolatilityError);
  expect(run).toThrow(new RegExp(`^${code}:`));
}

const base: GeneralisedBlackScholesInputs = {
  optionType: 'call',
  underlyingPrice: 100,
  strikePrice: 100,
  timeToExpiryYears: 0.5,
  volatility: 0.6,
  riskFreeRate: 0.03,
  dividendYield: 0.01,
};

describe('impliedVolatility: hard cases', () => {
  it.each([
    ['deep in-the-money call', { strikePrice: 40, volatility: 0.3 }],
    ['deep in-the-money put', { optionType: 'put', strikePrice: 250, volatility: 0.3 }],
    ['far out-of-the-money call (value about 1e-20)', { strikePrice: 400, volatility: 0.4, timeToExpiryYears: 0.1 }],
    ['far out-of-the-money put', { optionType: 'put', strikePrice: 20, volatility: 0.5, timeToExpiryYears: 0.25 }],
    ['one hour to expiry, at the money', { timeToExpiryYears: 1 / 8760, volatility: 0.8 }],
    ['one minute to expiry, slightly out of the money', { strikePrice: 100.1, timeToExpiryYears: 1 / 525600 }],
    ['very high volatility', { volatility: 8 }],
    ['very low volatility', { volatility: 0.005, strikePrice: 100.2 }],
  ] as const)('recovers the volatility of a %s', (_name, overrides) => {
    const inputs = { ...base, ...overrides };
    expect(Math.abs(roundTrip(inputs) / inputs.volatility - 1)).toBeLessThanOrEqual(1e-9);
  });

  it('uses at most the iteration limit', () => {
    const result = impliedVolatility(withPrice(base, generalisedBlackScholesValue(base)));
    expect(result.iterations).toBeGreaterThan(0);
    expect(result.iterations).toBeLessThanOrEqual(IMPLIED_VOLATILITY_ITERATIONS_MAX);
  });
});

describe('impliedVolatility: typed errors, never NaN', () => {
  const call = withPrice(base, 5);

  it('refuses a price at or below the discounted intrinsic value', () => {
    const deepCall = withPrice({ ...base, strikePrice: 50 }, 10);
    expectErrorCode(() => impliedVolatility(deepCall), 'PRICE_BELOW_INTRINSIC');
    expectErrorCode(() => impliedVolatility({ ...call, strikePrice: 200, optionPrice: 0 }), 'PRICE_BELOW_INTRINSIC');
  });

  it('refuses a price at or above the upper bound (S e^{-qT} for a call, K e^{-rT} for a put)', () => {
    expectErrorCode(() => impliedVolatility({ ...call, optionPrice: 100 }), 'PRICE_ABOVE_UPPER_BOUND');
    expectErrorCode(
      () => impliedVolatility({ ...call, optionType: 'put', optionPrice: 99.9 }),
      'PRICE_ABOVE_UPPER_BOUND',
    );
  });

  it('refuses a price that needs more than the maximum volatility', () => {
    // One hour to expiry: a price 1e-12 below the bound needs sigma sqrt(T) of about 14, so sigma near 1300.
    const timeToExpiryYears = 1 / 8760;
    const upper = 100 * Math.exp(-0.01 * timeToExpiryYears);
    const nearBound = { ...call, timeToExpiryYears, optionPrice: upper * (1 - 1e-12) };
    expectErrorCode(() => impliedVolatility(nearBound), 'VOLATILITY_ABOVE_MAXIMUM');
  });

  it.each([
    ['expired option', { timeToExpiryYears: 0 }],
    ['NaN price', { optionPrice: Number.NaN }],
    ['negative price', { optionPrice: -1 }],
    ['infinite rate', { riskFreeRate: Number.POSITIVE_INFINITY }],
    ['zero strike', { strikePrice: 0 }],
    ['negative spot', { underlyingPrice: -1 }],
    ['unknown option type', { optionType: 'straddle' as 'call' }],
  ])('refuses an %s as INVALID_INPUT', (_name, overrides) => {
    expectErrorCode(() => impliedVolatility({ ...call, ...overrides }), 'INVALID_INPUT');
  });
});

describe('impliedVolatility properties', () => {
  it('round-trips volatility within three standard deviations of the forward (price -> iv -> same vol)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('call' as const, 'put' as const),
        fc.double({ min: 1e-3, max: 3, noNaN: true }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: 1e-5, max: 5, noNaN: true }),
        fc.double({ min: -0.05, max: 0.1, noNaN: true }),
        (optionType, totalVolatility, standardDeviations, timeToExpiryYears, riskFreeRate) => {
          const volatility = totalVolatility / Math.sqrt(timeToExpiryYears);
          fc.pre(volatility <= 50);
          const forwardPrice = 100 * Math.exp((riskFreeRate - base.dividendYield) * timeToExpiryYears);
          const strikePrice = forwardPrice * Math.exp(standardDeviations * totalVolatility);
          const inputs = { ...base, optionType, strikePrice, volatility, timeToExpiryYears, riskFreeRate };
          expect(Math.abs(roundTrip(inputs) / volatility - 1)).toBeLessThanOrEqual(1e-8);
        },
      ),
    );
  });

  it('on any inputs either reproduces the price or throws a typed error (price -> iv -> price)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('call' as const, 'put' as const),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.double({ min: 1e-3, max: 10, noNaN: true }),
        fc.double({ min: 1e-8, max: 10, noNaN: true }),
        (optionType, strikePrice, volatility, timeToExpiryYears) => {
          const inputs = { ...base, optionType, strikePrice, volatility, timeToExpiryYears };
          const price = generalisedBlackScholesValue(inputs);
          let implied: number;
          try {
            implied = impliedVolatility(withPrice(inputs, price)).volatility;
          } catch (error) {
            expect(error).toBeInstanceOf(ImpliedVolatilityError);
            return;
          }
          expect(Number.isFinite(implied) && implied > 0).toBe(true);
          const repriced = generalisedBlackScholesValue({ ...inputs, volatility: implied });
          expect(Math.abs(repriced - price)).toBeLessThanOrEqual(1e-12 * Math.max(price, 1e-300) + 1e-13 * strikePrice);
        },
      ),
    );
  });
});
