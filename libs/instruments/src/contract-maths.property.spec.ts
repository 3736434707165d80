import fc from 'fast-check';
import { Decimal } from '@novation/money';
import { averageEntryPrice } from './average-entry-price.js';
import { futureSettlementPnl } from './future-settlement.js';
import type { DatedFuture, EuropeanOption, Instrument, InverseFuture, LinearFuture } from './instrument.js';
import { optionPayoffPerUnit } from './option-settlement.js';
import { realisedPnl, unrealisedPnl } from './pnl.js';
import { positionValue } from './position-value.js';

/** Properties of the contract maths on random positions, every amount in Decimal. */
const base = { underlying: 'BTC', quoteAsset: 'USD' } as const;
const LINEAR: LinearFuture = {
  ...base,
  kind: 'linear_future',
  id: 'BTC-USDC-28MAR25',
  settlementAsset: 'USDC',
  contractSize: new Decimal('0.001'),
  expiryEpochMs: 1_743_148_800_000,
};
const INVERSE: InverseFuture = {
  ...base,
  kind: 'inverse_future',
  id: 'BTC-28MAR25',
  settlementAsset: 'BTC',
  contractSize: new Decimal('10'),
  expiryEpochMs: 1_743_148_800_000,
};
const INSTRUMENTS: readonly Instrument[] = [
  { ...base, kind: 'spot', id: 'BTC-USD', settlementAsset: 'USD', contractSize: new Decimal('1') },
  {
    ...base,
    kind: 'linear_perpetual',
    id: 'BTC-USDC-PERP',
    settlementAsset: 'USDC',
    contractSize: new Decimal('0.001'),
  },
  LINEAR,
  { ...base, kind: 'inverse_perpetual', id: 'BTC-PERPETUAL', settlementAsset: 'BTC', contractSize: new Decimal('10') },
  INVERSE,
];

/** Prices from 0.01 to 1,000,000 with two decimals; contract counts non-zero with three decimals. */
const price = fc.integer({ min: 1, max: 100_000_000 }).map((cents) => new Decimal(cents).dividedBy(100));
const contracts = fc
  .integer({ min: -1_000_000, max: 1_000_000 })
  .filter((milli) => milli !== 0)
  .map((milli) => new Decimal(milli).dividedBy(1000));
const instrument = fc.constantFrom(...INSTRUMENTS);

/** Decimal divisions carry 80 significant digits; identities hold to far below any asset's scale. */
function expectNearlyEqual(actual: Decimal, expected: Decimal): void {
  expect(
    actual
      .minus(expected)
      .abs()
      .lte(new Decimal('1e-50').times(expected.abs().plus(1))),
  ).toBe(true);
}

describe('PnL', () => {
  it('is zero when a position is opened and closed at the same price', () => {
    fc.assert(
      fc.property(instrument, contracts, price, (chosen, quantity, entry) => {
        expect(realisedPnl(chosen, quantity, entry, entry).isZero()).toBe(true);
      }),
    );
  });

  it('is opposite for the long and the short side of the same trade (the CCP is flat)', () => {
    fc.assert(
      fc.property(instrument, contracts, price, price, (chosen, quantity, entry, exit) => {
        const long = unrealisedPnl(chosen, quantity, entry, exit);
        const short = unrealisedPnl(chosen, quantity.negated(), entry, exit);
        expect(long.plus(short).isZero()).toBe(true);
      }),
    );
  });

  it('equals the change of position value: linear gains with the price, inverse in coin as 1/price falls', () => {
    fc.assert(
      fc.property(instrument, contracts, price, price, (chosen, quantity, entry, exit) => {
        const valueChange = positionValue(chosen, quantity, exit).minus(positionValue(chosen, quantity, entry));
        const pnl = realisedPnl(chosen, quantity, entry, exit);
        const inverse = chosen.kind === 'inverse_perpetual' || chosen.kind === 'inverse_future';
        expectNearlyEqual(pnl, inverse ? valueChange.negated() : valueChange);
      }),
    );
  });

  it('settles a dated future exactly as closing it at the delivery price', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<DatedFuture>(LINEAR, INVERSE),
        contracts,
        price,
        price,
        (future, quantity, entry, delivery) => {
          expect(
            futureSettlementPnl(future, quantity, entry, delivery).eq(realisedPnl(future, quantity, entry, delivery)),
          ).toBe(true);
        },
      ),
    );
  });
});

describe('average entry price', () => {
  it('makes the combined position earn exactly what the two lots earn, at any exit price', () => {
    fc.assert(
      fc.property(
        instrument,
        contracts,
        contracts,
        price,
        price,
        price,
        (chosen, first, second, firstPrice, secondPrice, exit) => {
          const sameSide = first.isNegative() === second.isNegative() ? second : second.negated();
          const average = averageEntryPrice(
            chosen,
            { contracts: first, price: firstPrice },
            { contracts: sameSide, price: secondPrice },
          );
          const combined = realisedPnl(chosen, first.plus(sameSide), average, exit);
          const separate = realisedPnl(chosen, first, firstPrice, exit).plus(
            realisedPnl(chosen, sameSide, secondPrice, exit),
          );
          expectNearlyEqual(combined, separate);
        },
      ),
    );
  });

  it('is the harmonic mean for inverse contracts, never above the arithmetic mean used for linear ones', () => {
    fc.assert(
      fc.property(contracts, contracts, price, price, (first, second, firstPrice, secondPrice) => {
        const sameSide = first.isNegative() === second.isNegative() ? second : second.negated();
        const lots = [
          { contracts: first, price: firstPrice },
          { contracts: sameSide, price: secondPrice },
        ] as const;
        const harmonic = averageEntryPrice(INVERSE, ...lots);
        const arithmetic = averageEntryPrice(LINEAR, ...lots);
        const total = first.plus(sameSide);
        expectNearlyEqual(harmonic, total.dividedBy(first.dividedBy(firstPrice).plus(sameSide.dividedBy(secondPrice))));
        expect(harmonic.lte(arithmetic.plus(new Decimal('1e-50').times(arithmetic)))).toBe(true);
        const low = Decimal.min(firstPrice, secondPrice);
        const high = Decimal.max(firstPrice, secondPrice);
        expect(harmonic.gte(low.minus('1e-50')) && harmonic.lte(high.plus('1e-50'))).toBe(true);
      }),
    );
  });
});

describe('option payoff at expiry', () => {
  function option(optionType: 'call' | 'put', settlement: 'linear' | 'inverse', strike: Decimal): EuropeanOption {
    return {
      ...base,
      kind: 'european_option',
      id: 'BTC-OPTION',
      settlementAsset: settlement === 'inverse' ? 'BTC' : 'USDC',
      settlement,
      underlyingReference: 'spot',
      optionType,
      strikePrice: strike,
      contractSize: new Decimal('1'),
      expiryEpochMs: 1_743_148_800_000,
    };
  }

  it('satisfies put-call parity at expiry: call - put = S - K (linear), (S - K) / S coin (inverse)', () => {
    fc.assert(
      fc.property(price, price, (strike, delivery) => {
        const linear = optionPayoffPerUnit(option('call', 'linear', strike), delivery).minus(
          optionPayoffPerUnit(option('put', 'linear', strike), delivery),
        );
        expect(linear.eq(delivery.minus(strike))).toBe(true);
        const inverse = optionPayoffPerUnit(option('call', 'inverse', strike), delivery).minus(
          optionPayoffPerUnit(option('put', 'inverse', strike), delivery),
        );
        expectNearlyEqual(inverse, delivery.minus(strike).dividedBy(delivery));
      }),
    );
  });

  it('pays in coin the linear payoff converted at the delivery price', () => {
    fc.assert(
      fc.property(fc.constantFrom('call' as const, 'put' as const), price, price, (type, strike, delivery) => {
        const coin = optionPayoffPerUnit(option(type, 'inverse', strike), delivery);
        expectNearlyEqual(coin.times(delivery), optionPayoffPerUnit(option(type, 'linear', strike), delivery));
        expect(coin.gte(0)).toBe(true);
      }),
    );
  });
});
