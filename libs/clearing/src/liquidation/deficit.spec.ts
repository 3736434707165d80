import fc from 'fast-check';
import { Decimal, ZERO } from '@novation/money';
import { ClearingError } from '../clearing-error.js';
import { assertBalancedEntry } from '../ledger-draft.js';
import type { JournalEntryDraft } from '../ledger-draft.js';
import { coverDeficit } from './deficit.js';
import type { AdlCandidate, AutoDeleveragingInput, DefaultWaterfallInput } from './deficit.js';

const d = (value: string | number): Decimal => new Decimal(value);

const base = {
  accountId: 'member-7',
  asset: 'USDC',
  settlementAssetScale: 2,
  insuranceFundAccountId: 'house-insurance',
  idempotencyKey: 'deficit:member-7:1',
};

const candidate = (
  accountId: string,
  quantity: number,
  pnl: number,
  margin: number,
  notional: number,
  equity: number,
) =>
  ({
    accountId,
    quantity: d(quantity),
    unrealisedPnl: d(pnl),
    positionMargin: d(margin),
    notional: d(notional),
    equity: d(equity),
  }) satisfies AdlCandidate;

/**
 * The liquidated position is long; shorts are the opposite side. Scores (pnl/margin x |notional|/equity):
 * alice 0.3 x 2 = 0.6; bob 0.5 x 1 = 0.5; carol 1 x 0.5 = 0.5 (tie with bob, bob first by id);
 * frank 0.8 x 0.5 = 0.4; dave is long (same side) and erin at a loss: not eligible.
 */
const candidates: AdlCandidate[] = [
  candidate('frank', -8, 400, 500, -4000, 8000),
  candidate('carol', -4, 100, 100, -2000, 4000),
  candidate('dave', 3, 900, 100, 3000, 1000),
  candidate('erin', -2, -50, 100, -1000, 1000),
  candidate('bob', -5, 200, 400, -2500, 2500),
  candidate('alice', -6, 300, 1000, -3000, 1500),
];

function adl(overrides: Partial<AutoDeleveragingInput> = {}) {
  return coverDeficit({
    ...base,
    mode: 'auto-deleveraging',
    deficit: d(500),
    insuranceFundBalance: d(200),
    liquidatedPosition: {
      accountId: 'house-liquidation',
      instrumentId: 'BTC-PERP',
      quantity: d(10),
      bankruptcyPrice: d(45000),
    },
    candidates,
    ...overrides,
  });
}

const postingsOf = (entry: JournalEntryDraft | null) =>
  entry?.postings.map((posting) => [posting.accountId, posting.asset, posting.amount.toFixed()]);

describe('coverDeficit: auto-deleveraging', () => {
  it('ranks by PnL ratio x leverage, ties by account id', () => {
    const result = adl();
    expect(
      result.ranking.map((r) => [r.rank, r.accountId, r.pnlRatio.toFixed(), r.leverage.toFixed(), r.score.toFixed()]),
    ).toEqual([
      [1, 'alice', '0.3', '2', '0.6'],
      [2, 'bob', '0.5', '1', '0.5'],
      [3, 'carol', '1', '0.5', '0.5'],
      [4, 'frank', '0.8', '0.5', '0.4'],
    ]);
  });

  it('uses the insurance fund first, then closes the ranked accounts at the bankruptcy price', () => {
    // Deficit 500, fund 200: the fund pays 200, the remaining 300 is deleveraged: alice takes 6, bob 4.
    const result = adl();
    expect(result.insurance.amount.toFixed()).toBe('200');
    expect(result.residualDeficit.toFixed()).toBe('300');
    expect(postingsOf(result.insurance.journalEntry)).toEqual([
      ['house-insurance', 'USDC', '-200'],
      ['member-7', 'USDC', '200'],
    ]);
    expect(result.insurance.journalEntry?.idempotencyKey).toBe('deficit:member-7:1:insurance');
    expect(
      result.matches.map((m) => [
        m.counterpartyAccountId,
        m.counterpartyCloseQuantity.toFixed(),
        m.liquidatedCloseQuantity.toFixed(),
        m.price.toFixed(),
      ]),
    ).toEqual([
      ['alice', '6', '-6', '45000'],
      ['bob', '4', '-4', '45000'],
    ]);
    expect(result.unfilledQuantity.toFixed()).toBe('0');
    expect(result.journalEntries).toHaveLength(1);
  });

  it('deleverages nobody when the insurance fund covers the whole deficit, but still records the ranking', () => {
    const result = adl({ insuranceFundBalance: d(1000) });
    expect(result.insurance.amount.toFixed()).toBe('500');
    expect(result.matches).toEqual([]);
    expect(result.ranking).toHaveLength(4);
  });

  it('reports what no counterparty could take', () => {
    // 6 + 5 + 4 + 8 = 23 of 30.
    const result = adl({
      liquidatedPosition: {
        accountId: 'house-liquidation',
        instrumentId: 'BTC-PERP',
        quantity: d(30),
        bankruptcyPrice: d(45000),
      },
    });
    expect(result.matches.map((m) => m.counterpartyCloseQuantity.toFixed())).toEqual(['6', '5', '4', '8']);
    expect(result.unfilledQuantity.toFixed()).toBe('7');
  });

  it('deleverages longs against a liquidated short', () => {
    const result = adl({
      liquidatedPosition: {
        accountId: 'house-liquidation',
        instrumentId: 'BTC-PERP',
        quantity: d(-2),
        bankruptcyPrice: d(55000),
      },
    });
    expect(result.ranking.map((r) => r.accountId)).toEqual(['dave']);
    expect(
      result.matches.map((m) => [
        m.counterpartyAccountId,
        m.counterpartyCloseQuantity.toFixed(),
        m.liquidatedCloseQuantity.toFixed(),
      ]),
    ).toEqual([['dave', '-2', '2']]);
  });
});

function waterfall(overrides: Partial<DefaultWaterfallInput> = {}) {
  return coverDeficit({
    ...base,
    mode: 'default-waterfall',
    deficit: d(1000),
    insuranceFundBalance: d(100),
    defaulterMargin: { accountId: 'member-7-margin', balance: d(250) },
    defaulterDefaultFund: { accountId: 'member-7-default-fund', balance: d(150) },
    ccpCapital: { accountId: 'ccp-capital', balance: d(200) },
    memberDefaultFunds: [
      { accountId: 'm1-default-fund', balance: d(100) },
      { accountId: 'm2-default-fund', balance: d(200) },
      { accountId: 'm3-default-fund', balance: d(300) },
    ],
    ...overrides,
  });
}

const layerAmounts = (result: ReturnType<typeof waterfall>) =>
  result.layers.map((layer) => [layer.layer, layer.amount.toFixed()]);

describe('coverDeficit: default waterfall', () => {
  it('uses the layers in order, the members pro rata to their contributions', () => {
    // 100 + 250 + 150 + 200 = 700; the members pay the other 300 as 100:200:300 = 50, 100, 150.
    const result = waterfall();
    expect(layerAmounts(result)).toEqual([
      ['insurance', '100'],
      ['defaulter-margin', '250'],
      ['defaulter-default-fund', '150'],
      ['ccp-capital', '200'],
      ['mutualised', '300'],
    ]);
    expect(result.journalEntries.map((entry) => entry.idempotencyKey)).toEqual([
      'deficit:member-7:1:insurance',
      'deficit:member-7:1:defaulter-margin',
      'deficit:member-7:1:defaulter-default-fund',
      'deficit:member-7:1:ccp-capital',
      'deficit:member-7:1:mutualised',
    ]);
    expect(postingsOf(result.layers[4]?.journalEntry ?? null)).toEqual([
      ['m1-default-fund', 'USDC', '-50'],
      ['m2-default-fund', 'USDC', '-100'],
      ['m3-default-fund', 'USDC', '-150'],
      ['member-7', 'USDC', '300'],
    ]);
    expect(postingsOf(result.layers[1]?.journalEntry ?? null)).toEqual([
      ['member-7-margin', 'USDC', '-250'],
      ['member-7', 'USDC', '250'],
    ]);
    expect(result.covered.toFixed()).toBe('1000');
    expect(result.uncovered.toFixed()).toBe('0');
    for (const entry of result.journalEntries) expect(() => assertBalancedEntry(entry)).not.toThrow();
  });

  it('stops part-way through a layer and leaves the later ones untouched', () => {
    // 400 = 100 + 250 + 50 of the defaulter's 150 default-fund contribution.
    const result = waterfall({ deficit: d(400) });
    expect(layerAmounts(result)).toEqual([
      ['insurance', '100'],
      ['defaulter-margin', '250'],
      ['defaulter-default-fund', '50'],
      ['ccp-capital', '0'],
      ['mutualised', '0'],
    ]);
    expect(result.journalEntries).toHaveLength(3);
    expect(result.layers[3]?.journalEntry).toBeNull();
  });

  it('reports what exceeds every resource as uncovered', () => {
    // Resources 700 + 600 = 1,300; deficit 1,500.
    const result = waterfall({ deficit: d(1500) });
    expect(result.layers[4]?.amount.toFixed()).toBe('600');
    expect(result.covered.toFixed()).toBe('1300');
    expect(result.uncovered.toFixed()).toBe('200');
  });

  it('gives the missing unit of equal remainders to the first account id', () => {
    // 1.00 over three equal contributions: 0.333... each, 0.33 each rounded down, the last 0.01 to m-a.
    const result = waterfall({
      deficit: d('701'),
      memberDefaultFunds: [
        { accountId: 'm-c', balance: d(1) },
        { accountId: 'm-a', balance: d(1) },
        { accountId: 'm-b', balance: d(1) },
      ],
    });
    expect(result.mutualisedShares.map((s) => [s.accountId, s.amount.toFixed()])).toEqual([
      ['m-c', '0.33'],
      ['m-a', '0.34'],
      ['m-b', '0.33'],
    ]);
  });

  it('gives the missing unit to the largest remainder', () => {
    // 0.07 over 0.05 : 0.03 : 0.02 = 0.035, 0.021, 0.014 -> 0.03, 0.02, 0.01 (0.06); remainders 0.005,
    // 0.001, 0.004: the last 0.01 goes to the first member. Shares 0.04, 0.02, 0.01 sum to 0.07.
    const result = waterfall({
      deficit: d('700.07'),
      memberDefaultFunds: [
        { accountId: 'm-x', balance: d('0.05') },
        { accountId: 'm-y', balance: d('0.03') },
        { accountId: 'm-z', balance: d('0.02') },
      ],
    });
    expect(result.mutualisedShares.map((s) => s.amount.toFixed())).toEqual(['0.04', '0.02', '0.01']);
    expect(result.layers[4]?.amount.toFixed()).toBe('0.07');
  });

  it('moves nothing for a zero deficit', () => {
    const result = waterfall({ deficit: d(0) });
    expect(result.journalEntries).toEqual([]);
    expect(result.uncovered.toFixed()).toBe('0');
  });

  it.each<[string, Partial<DefaultWaterfallInput>, string]>([
    ['a deficit finer than the scale', { deficit: d('0.001') }, 'INVALID_DECIMAL'],
    ['a negative resource', { ccpCapital: { accountId: 'ccp-capital', balance: d(-1) } }, 'OUT_OF_RANGE'],
    [
      'a layer account used twice',
      { ccpCapital: { accountId: 'member-7-margin', balance: d(1) } },
      'DUPLICATE_ACCOUNT',
    ],
    [
      'the defaulter as a member',
      { memberDefaultFunds: [{ accountId: 'member-7', balance: d(1) }] },
      'DUPLICATE_ACCOUNT',
    ],
  ])('refuses %s', (_name, overrides, code) => {
    const action = (): unknown => waterfall(overrides);
    expect(action).toThrow(ClearingError);
    expect(action).toThrow(new RegExp(`^${code}`));
  });
});

describe('coverDeficit properties', () => {
  const units = (max: number) => fc.integer({ min: 0, max });

  it('waterfall: layers sum to min(deficit, resources), uncovered = max(0, deficit - resources), entries balance', () => {
    fc.assert(
      fc.property(
        units(10_000_000),
        fc.tuple(units(1_000_000), units(1_000_000), units(1_000_000), units(1_000_000)),
        fc.array(units(1_000_000), { maxLength: 8 }),
        fc.integer({ min: 0, max: 6 }),
        (deficitUnits, [insurance, margin, defaultFund, capital], members, scale) => {
          const unit = d(10).pow(-scale);
          const amount = (n: number): Decimal => d(n).times(unit);
          const result = coverDeficit({
            ...base,
            settlementAssetScale: scale,
            mode: 'default-waterfall',
            deficit: amount(deficitUnits),
            insuranceFundBalance: amount(insurance),
            defaulterMargin: { accountId: 'member-7-margin', balance: amount(margin) },
            defaulterDefaultFund: { accountId: 'member-7-default-fund', balance: amount(defaultFund) },
            ccpCapital: { accountId: 'ccp-capital', balance: amount(capital) },
            memberDefaultFunds: members.map((n, index) => ({
              accountId: `m${index}-default-fund`,
              balance: amount(n),
            })),
          });
          const resources = amount(insurance + margin + defaultFund + capital + members.reduce((a, b) => a + b, 0));
          const deficit = amount(deficitUnits);
          const layerTotal = result.layers.reduce((sum, layer) => sum.plus(layer.amount), ZERO);
          expect(layerTotal.eq(Decimal.min(deficit, resources))).toBe(true);
          expect(result.covered.eq(layerTotal)).toBe(true);
          expect(result.uncovered.eq(Decimal.max(ZERO, deficit.minus(resources)))).toBe(true);
          for (const layer of result.layers) expect(layer.amount.lte(layer.available)).toBe(true);
          const shareTotal = result.mutualisedShares.reduce((sum, share) => sum.plus(share.amount), ZERO);
          expect(shareTotal.eq(result.layers[4]?.amount ?? ZERO)).toBe(true);
          result.mutualisedShares.forEach((share, index) => {
            expect(share.amount.lte(amount(members[index] ?? 0))).toBe(true);
            expect(share.amount.decimalPlaces()).toBeLessThanOrEqual(scale);
          });
          for (const entry of result.journalEntries) assertBalancedEntry(entry);
          expect(new Set(result.journalEntries.map((entry) => entry.idempotencyKey)).size).toBe(
            result.journalEntries.length,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ADL: ranking sorted, matches at the bankruptcy price within each position, never beyond the liquidated one', () => {
    const candidateArbitrary = fc.record({
      quantity: fc.integer({ min: -50, max: 50 }),
      pnl: fc.integer({ min: -1_000, max: 1_000 }),
      margin: fc.integer({ min: 0, max: 1_000 }),
      notional: fc.integer({ min: -100_000, max: 100_000 }),
      equity: fc.integer({ min: -1_000, max: 10_000 }),
    });
    fc.assert(
      fc.property(
        fc.array(candidateArbitrary, { maxLength: 12 }),
        fc.integer({ min: -100, max: 100 }),
        units(10_000),
        units(10_000),
        (randomCandidates, quantity, deficitUnits, fundUnits) => {
          const list = randomCandidates.map((c, index) =>
            candidate(`acct-${index}`, c.quantity, c.pnl, c.margin, c.notional, c.equity),
          );
          const result = adl({
            candidates: list,
            deficit: d(deficitUnits),
            insuranceFundBalance: d(fundUnits),
            liquidatedPosition: {
              accountId: 'house-liquidation',
              instrumentId: 'BTC-PERP',
              quantity: d(quantity),
              bankruptcyPrice: d(45000),
            },
          });
          result.ranking.slice(1).forEach((ranked, index) => {
            expect(result.ranking[index]?.score.gte(ranked.score)).toBe(true);
          });
          let matched = ZERO;
          for (const match of result.matches) {
            const held = list.find((c) => c.accountId === match.counterpartyAccountId);
            if (held === undefined) throw new Error('match of an unknown account');
            expect(match.counterpartyCloseQuantity.abs().lte(held.quantity.abs())).toBe(true);
            expect(match.counterpartyCloseQuantity.isNegative()).toBe(!held.quantity.isNegative());
            expect(match.price.eq(45000)).toBe(true);
            matched = matched.plus(match.liquidatedCloseQuantity);
          }
          // Closed plus left over is the liquidated position; nothing at all when the fund covered the deficit.
          const expectedTotal = result.residualDeficit.isZero() ? ZERO : d(quantity);
          expect(matched.negated().plus(result.unfilledQuantity).eq(expectedTotal)).toBe(true);
          expect(result.insurance.amount.eq(Decimal.min(deficitUnits, fundUnits))).toBe(true);
          for (const entry of result.journalEntries) assertBalancedEntry(entry);
        },
      ),
      { numRuns: 300 },
    );
  });
});
