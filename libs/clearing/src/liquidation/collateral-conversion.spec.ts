import fc from 'fast-check';
import { Decimal } from '@novation/money';
import { ClearingError } from '../clearing-error.js';
import { assertBalancedEntry } from '../ledger-draft.js';
import type { PostingDraft } from '../ledger-draft.js';
import { collateralConversionEntry, conversionPriceOf } from './collateral-conversion.js';
import type { CollateralConversionInput, ConvertedBalance } from './collateral-conversion.js';

const d = (value: string | number): Decimal => new Decimal(value);

function input(balances: ConvertedBalance[], overrides: Partial<CollateralConversionInput> = {}) {
  return {
    accountId: 'member-7',
    liquidationAccountId: 'house-liquidation',
    insuranceFundAccountId: 'house-insurance',
    settlementAsset: 'USDC',
    settlementAssetScale: 6,
    balances,
    penaltyFraction: d('0.005'),
    idempotencyKey: 'liq-1-step-4',
    ...overrides,
  };
}

/** Postings as [account, asset, amount] with amounts as plain strings, in entry order. */
function postingsOf(postings: readonly PostingDraft[] | undefined): [string, string, string][] {
  return (postings ?? []).map((posting) => [posting.accountId, posting.asset, posting.amount.toFixed()]);
}

describe('collateralConversionEntry', () => {
  it('sells 0.5 BTC at 60,000 with a 0.5% penalty: 29,850 to the account, 150 to the fund', () => {
    // value 0.5 x 60,000 = 30,000; the account receives 30,000 x 0.995 = 29,850, the liquidation account pays
    // the 30,000 at the index and takes the BTC, the fund keeps the 150 between them.
    const result = collateralConversionEntry(input([{ asset: 'BTC', amount: d('0.5'), price: d(60_000) }]));
    expect(postingsOf(result.journalEntry?.postings)).toEqual([
      ['member-7', 'BTC', '-0.5'],
      ['house-liquidation', 'BTC', '0.5'],
      ['member-7', 'USDC', '29850'],
      ['house-liquidation', 'USDC', '-30000'],
      ['house-insurance', 'USDC', '150'],
    ]);
    expect(result.journalEntry).toMatchObject({ idempotencyKey: 'liq-1-step-4', kind: 'liquidation' });
    expect(result.conversions).toEqual([
      {
        asset: 'BTC',
        amount: d('0.5'),
        price: d(60_000),
        executionPrice: d(59_700),
        accountAmount: d(29_850),
        liquidationAccountAmount: d(-30_000),
        penalty: d(150),
      },
    ]);
    expect(result.accountAmount.toFixed()).toBe('29850');
    expect(result.penalty.toFixed()).toBe('150');
  });

  it('buys a negative balance back: -0.2 ETH at 3,000 with 1% costs the account 606, the fund gets 6', () => {
    // value 0.2 x 3,000 = 600; the account pays 600 x 1.01 = 606 and its ETH balance goes back to 0; the
    // liquidation account delivers the 0.2 ETH and receives the 600 at the index.
    const result = collateralConversionEntry(
      input([{ asset: 'ETH', amount: d('-0.2'), price: d(3_000) }], { penaltyFraction: d('0.01') }),
    );
    expect(postingsOf(result.journalEntry?.postings)).toEqual([
      ['member-7', 'ETH', '0.2'],
      ['house-liquidation', 'ETH', '-0.2'],
      ['member-7', 'USDC', '-606'],
      ['house-liquidation', 'USDC', '600'],
      ['house-insurance', 'USDC', '6'],
    ]);
    expect(result.conversions[0]?.executionPrice.toFixed()).toBe('3030');
  });

  it('converts several assets in one entry, sorted by asset, three settlement postings at most', () => {
    // BTC sold as above (+29,850 / -30,000 / 150); ETH bought back at 0.5% (-603 / +600 / 3): the account
    // nets 29,247, the liquidation account -29,400, the fund 153.
    const result = collateralConversionEntry(
      input([
        { asset: 'ETH', amount: d('-0.2'), price: d(3_000) },
        { asset: 'BTC', amount: d('0.5'), price: d(60_000) },
      ]),
    );
    expect(result.conversions.map((conversion) => conversion.asset)).toEqual(['BTC', 'ETH']);
    expect(postingsOf(result.journalEntry?.postings)).toEqual([
      ['member-7', 'BTC', '-0.5'],
      ['house-liquidation', 'BTC', '0.5'],
      ['member-7', 'ETH', '0.2'],
      ['house-liquidation', 'ETH', '-0.2'],
      ['member-7', 'USDC', '29247'],
      ['house-liquidation', 'USDC', '-29400'],
      ['house-insurance', 'USDC', '153'],
    ]);
    expect(result.penalty.toFixed()).toBe('153');
  });

  it('rounds both ways against the account at the settlement scale', () => {
    // value 0.00012345 x 61,234.56 = 7.559406432. Sold at 1%: 7.48381236768 -> 7.48 (down), the index
    // value 7.55 (down), fund 0.07. Bought back at 1%: 7.63500049632 -> 7.64 (up), the index value 7.56
    // (up), fund 0.08.
    const options = { settlementAsset: 'USD', settlementAssetScale: 2, penaltyFraction: d('0.01') };
    const sold = collateralConversionEntry(
      input([{ asset: 'BTC', amount: d('0.00012345'), price: d('61234.56') }], options),
    ).conversions[0];
    expect([sold?.accountAmount, sold?.liquidationAccountAmount, sold?.penalty].map((v) => v?.toFixed())).toEqual([
      '7.48',
      '-7.55',
      '0.07',
    ]);
    const bought = collateralConversionEntry(
      input([{ asset: 'BTC', amount: d('-0.00012345'), price: d('61234.56') }], options),
    ).conversions[0];
    expect([bought?.accountAmount, bought?.liquidationAccountAmount, bought?.penalty].map((v) => v?.toFixed())).toEqual(
      ['-7.64', '7.56', '0.08'],
    );
  });

  it('takes dust worth less than a unit for nothing: the asset still leaves the account', () => {
    // 0.00000001 BTC x 60,000 = 0.0006, below a cent: no settlement posting, the BTC moves.
    const result = collateralConversionEntry(
      input([{ asset: 'BTC', amount: d('0.00000001'), price: d(60_000) }], { settlementAssetScale: 2 }),
    );
    expect(postingsOf(result.journalEntry?.postings)).toEqual([
      ['member-7', 'BTC', '-0.00000001'],
      ['house-liquidation', 'BTC', '0.00000001'],
    ]);
    expect(result.accountAmount.toFixed()).toBe('0');
  });

  it('posts nothing without balances, and no penalty posting at a zero penalty', () => {
    expect(collateralConversionEntry(input([])).journalEntry).toBeNull();
    const free = collateralConversionEntry(
      input([{ asset: 'BTC', amount: d('0.5'), price: d(60_000) }], { penaltyFraction: d(0) }),
    );
    expect(postingsOf(free.journalEntry?.postings).filter(([, asset]) => asset === 'USDC')).toEqual([
      ['member-7', 'USDC', '30000'],
      ['house-liquidation', 'USDC', '-30000'],
    ]);
  });

  it('never favours the account and always balances per asset (property)', () => {
    const amount = fc
      .tuple(fc.integer({ min: -10_000_000_000, max: 10_000_000_000 }), fc.integer({ min: 0, max: 8 }))
      .filter(([units]) => units !== 0)
      .map(([units, places]) => d(units).dividedBy(d(10).pow(places)));
    const price = fc
      .tuple(fc.integer({ min: 1, max: 1_000_000_000 }), fc.integer({ min: 0, max: 6 }))
      .map(([units, places]) => d(units).dividedBy(d(10).pow(places)));
    fc.assert(
      fc.property(
        amount,
        price,
        fc.integer({ min: 0, max: 2_000 }),
        fc.integer({ min: 0, max: 8 }),
        (balance, indexPrice, penaltyBasisPoints, scale) => {
          const penaltyFraction = d(penaltyBasisPoints).dividedBy(10_000);
          const result = collateralConversionEntry(
            input([{ asset: 'BTC', amount: balance, price: indexPrice }], {
              penaltyFraction,
              settlementAssetScale: scale,
            }),
          );
          const [conversion] = result.conversions;
          if (conversion === undefined || result.journalEntry === null) return false;
          assertBalancedEntry(result.journalEntry);
          const value = balance.abs().times(indexPrice);
          const fair = balance.isPositive()
            ? value.times(d(1).minus(penaltyFraction))
            : value.times(d(1).plus(penaltyFraction)).negated();
          return (
            conversion.accountAmount.lte(fair) &&
            conversion.penalty.gte(0) &&
            conversion.accountAmount.decimalPlaces() <= scale &&
            conversion.accountAmount.plus(conversion.liquidationAccountAmount).plus(conversion.penalty).isZero()
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses the settlement asset, a zero or repeated balance, a bad price or penalty', () => {
    const btc = { asset: 'BTC', amount: d('0.5'), price: d(60_000) };
    const refusals: [Partial<CollateralConversionInput>, string][] = [
      [{ balances: [{ ...btc, asset: 'USDC' }] }, 'balances[0].asset'],
      [{ balances: [{ ...btc, amount: d(0) }] }, 'balances[0].amount'],
      [{ balances: [btc, btc] }, 'balances[1].asset'],
      [{ balances: [{ ...btc, price: d(0) }] }, 'balances[0].price'],
      [{ penaltyFraction: d(1) }, 'penaltyFraction'],
      [{ penaltyFraction: d('-0.01') }, 'penaltyFraction'],
      [{ liquidationAccountId: 'member-7' }, 'accountId'],
      [{ idempotencyKey: 'has space' }, 'idempotencyKey'],
    ];
    for (const [overrides, field] of refusals) {
      const attempt = () => collateralConversionEntry(input([btc], overrides));
      expect(attempt).toThrow(ClearingError);
      expect(attempt).toThrow(expect.objectContaining({ field }));
    }
  });
});

describe('conversionPriceOf', () => {
  it('prices an asset in the settlement asset through their USD prices, as the margin engine does', () => {
    expect(conversionPriceOf(d(60_000), d(1), d('0.5')).toFixed()).toBe('60000');
    // ETH in a BTC account: 3,000 / 60,000 = 0.05 exactly.
    expect(conversionPriceOf(d(3_000), d(60_000), d('-2')).toFixed()).toBe('0.05');
  });

  it('rounds a price that does not divide out against the account: down to sell, up to buy back', () => {
    expect(conversionPriceOf(d(1), d(3), d(1)).toFixed()).toBe('0.333333333333333333');
    expect(conversionPriceOf(d(1), d(3), d(-1)).toFixed()).toBe('0.333333333333333334');
  });

  it('refuses a price that is not positive or rounds to zero', () => {
    expect(() => conversionPriceOf(d(0), d(1), d(1))).toThrow(ClearingError);
    expect(() => conversionPriceOf(d(1), d('1e19'), d(1))).toThrow(ClearingError);
  });
});
