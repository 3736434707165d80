import { Decimal } from '@novation/money';
import type { EuropeanOption, InverseFuture, LinearFuture, LinearPerpetual } from '@novation/instruments';
import { ClearingError } from './clearing-error.js';
import { assertBalancedEntry } from './ledger-draft.js';
import type { JournalEntryDraft } from './ledger-draft.js';
import type { ReferencedPosition } from './referenced-position.js';
import { variationMargin } from './variation-margin.js';
import type { VariationMarginInput } from './variation-margin.js';

const d = (value: string): Decimal => new Decimal(value);
const HOUSE = 'house-variation-margin';

const linear: LinearFuture = {
  kind: 'linear_future',
  id: 'BTC-USDC-28MAR25',
  underlying: 'BTC',
  quoteAsset: 'USDC',
  settlementAsset: 'USDC',
  contractSize: d('1'),
  expiryEpochMs: 1_743_148_800_000,
};

const inverse: InverseFuture = {
  ...linear,
  kind: 'inverse_future',
  id: 'BTC-28MAR25',
  quoteAsset: 'USD',
  settlementAsset: 'BTC',
  contractSize: d('10'),
};

const held = (accountId: string, quantity: string, referencePrice: string | null): ReferencedPosition => ({
  accountId,
  quantity: d(quantity),
  referencePrice: referencePrice === null ? null : d(referencePrice),
});

const dayOne: VariationMarginInput = {
  instrument: linear,
  settlementPrice: d('103'),
  settlementDate: '2025-01-02',
  positions: [held('member-a', '2', '100'), held('member-b', '-2', '101')],
  houseAccount: HOUSE,
  settlementAssetScale: 2,
};

function postingsOf(entry: JournalEntryDraft | null): Record<string, string> {
  expect(entry).not.toBeNull();
  assertBalancedEntry(entry as JournalEntryDraft);
  return Object.fromEntries((entry as JournalEntryDraft).postings.map((p) => [p.accountId, p.amount.toFixed()]));
}

describe('variationMargin', () => {
  it('pays each position its PnL from its own reference: A 2 x (103 - 100) = 6, B -2 x (103 - 101) = -4', () => {
    const result = variationMargin(dayOne);
    expect(result.journalEntry?.idempotencyKey).toBe('vm:BTC-USDC-28MAR25:2025-01-02');
    expect(result.journalEntry?.kind).toBe('variation_margin');
    // The house pays the 2 USDC difference: the two members entered at different prices.
    expect(postingsOf(result.journalEntry)).toEqual({ 'member-a': '6', 'member-b': '-4', [HOUSE]: '-2' });
    expect(result.settlements.map((s) => s.referencePrice?.toFixed())).toEqual(['103', '103']);
  });

  it('starts the next day from the new reference: at 102, A -2, B +2 (two-day totals 4 and -2)', () => {
    const first = variationMargin(dayOne);
    const positions = dayOne.positions.map((position, index) => ({
      ...position,
      referencePrice: first.settlements[index].referencePrice,
    }));
    const second = variationMargin({ ...dayOne, positions, settlementDate: '2025-01-03', settlementPrice: d('102') });
    // A: 2 x (102 - 100) = 4 = 6 - 2; B: -2 x (102 - 101) = -2 = -4 + 2. The house nets to zero.
    expect(postingsOf(second.journalEntry)).toEqual({ 'member-a': '-2', 'member-b': '2' });
  });

  it('inverse: 100 x 10 x (1/40000 - 1/50000) = 0.005 BTC to the long, from the short', () => {
    const result = variationMargin({
      ...dayOne,
      instrument: inverse,
      settlementPrice: d('50000'),
      positions: [held('member-a', '100', '40000'), held('member-b', '-100', '40000')],
      settlementAssetScale: 8,
    });
    expect(postingsOf(result.journalEntry)).toEqual({ 'member-a': '0.005', 'member-b': '-0.005' });
  });

  it('rounds against members: +0.005 paid as 0.00, -0.01 charged, residual 0.01 to the house', () => {
    const result = variationMargin({
      ...dayOne,
      settlementPrice: d('100.01'),
      positions: [held('member-a', '1', '100.005'), held('member-b', '-1', '100')],
    });
    expect(postingsOf(result.journalEntry)).toEqual({ 'member-b': '-0.01', [HOUSE]: '0.01' });
    expect(result.settlements[0].variationMargin.toFixed()).toBe('0');
  });

  it('settles perpetuals when asked, skips flat positions and has no entry when nothing moves', () => {
    const perpetual: LinearPerpetual = { ...linear, kind: 'linear_perpetual', id: 'BTC-USDC-PERP' };
    const result = variationMargin({
      ...dayOne,
      instrument: perpetual,
      settlementPrice: d('100'),
      positions: [held('member-a', '1', '100'), held('member-b', '-1', '100'), held('member-c', '0', null)],
    });
    expect(result.journalEntry).toBeNull();
    expect(result.settlements[2].referencePrice).toBeNull();
  });

  const option = { kind: 'european_option', id: 'OPT' } as EuropeanOption;
  it.each<[string, Partial<VariationMarginInput>, string]>([
    [
      'an open position without reference',
      { positions: [held('member-a', '1', null), held('member-b', '-1', '1')] },
      'MISSING_REFERENCE_PRICE',
    ],
    [
      'a zero reference',
      { positions: [held('member-a', '1', '0'), held('member-b', '-1', '1')] },
      'NON_POSITIVE_PRICE',
    ],
    ['an impossible date', { settlementDate: '2025-02-30' }, 'INVALID_DATE'],
    ['a date with a time', { settlementDate: '2025-01-02T00' }, 'INVALID_DATE'],
    ['an option', { instrument: option }, 'UNSUPPORTED_INSTRUMENT'],
    ['a zero settlement price', { settlementPrice: d('0') }, 'NON_POSITIVE_PRICE'],
    ['positions not netting to zero', { positions: [held('member-a', '1', '100')] }, 'POSITIONS_NOT_FLAT'],
  ])('refuses %s', (_name, change, code) => {
    const action = (): unknown => variationMargin({ ...dayOne, ...change });
    expect(action).toThrow(ClearingError);
    expect(action).toThrow(new RegExp(`^${code}`));
  });
});
