import { Decimal } from '@novation/money';
import type { InversePerpetual, LinearFuture, LinearPerpetual } from '@novation/instruments';
import { ClearingError } from './clearing-error.js';
import { FUNDING_RATE_MAGNITUDE_MAX, fundingPayments } from './funding.js';
import type { FundingInput } from './funding.js';
import { assertBalancedEntry } from './ledger-draft.js';
import type { JournalEntryDraft } from './ledger-draft.js';
import { POSITIONS_PER_RUN_MAX } from './preconditions.js';

const d = (value: string): Decimal => new Decimal(value);
const HOUSE = 'house-funding';

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

const linearInput: FundingInput = {
  instrument: linear,
  markPrice: d('50000'),
  fundingRate: d('0.0001'),
  positions: [
    { accountId: 'member-a', quantity: d('10') },
    { accountId: 'member-b', quantity: d('-4') },
    { accountId: 'member-c', quantity: d('-6') },
  ],
  fundingId: '2025-01-01T08',
  houseAccount: HOUSE,
  settlementAssetScale: 6,
};

function postingsOf(entry: JournalEntryDraft | null): Record<string, string> {
  expect(entry).not.toBeNull();
  assertBalancedEntry(entry as JournalEntryDraft);
  return Object.fromEntries((entry as JournalEntryDraft).postings.map((p) => [p.accountId, p.amount.toFixed()]));
}

describe('fundingPayments', () => {
  it('longs pay shorts at a positive rate: 10 x 0.01 x 50000 x 0.0001 = 0.5 USDC', () => {
    // Shorts receive 4 x 0.01 x 50000 x 0.0001 = 0.2 and 6 x ... = 0.3; no residual, no house posting.
    const result = fundingPayments(linearInput);
    expect(result.journalEntry?.idempotencyKey).toBe('funding:BTC-USDC-PERP:2025-01-01T08');
    expect(result.journalEntry?.kind).toBe('funding');
    expect(postingsOf(result.journalEntry)).toEqual({ 'member-a': '-0.5', 'member-b': '0.2', 'member-c': '0.3' });
  });

  it('shorts pay longs at a negative rate', () => {
    const result = fundingPayments({ ...linearInput, fundingRate: d('-0.0001') });
    expect(postingsOf(result.journalEntry)).toEqual({ 'member-a': '0.5', 'member-b': '-0.2', 'member-c': '-0.3' });
  });

  it('inverse: 100 x 10 / 30000 x 0.0001 = 0.0000033333... BTC; payer rounds up, receiver down', () => {
    const result = fundingPayments({
      ...linearInput,
      instrument: inverse,
      markPrice: d('30000'),
      positions: [
        { accountId: 'member-a', quantity: d('100') },
        { accountId: 'member-b', quantity: d('-100') },
      ],
      settlementAssetScale: 8,
    });
    expect(postingsOf(result.journalEntry)).toEqual({
      'member-a': '-0.00000334',
      'member-b': '0.00000333',
      [HOUSE]: '0.00000001',
    });
  });

  it('moves nothing at a zero rate, and skips flat positions', () => {
    const result = fundingPayments({
      ...linearInput,
      fundingRate: d('0'),
      positions: [...linearInput.positions, { accountId: 'member-d', quantity: d('0') }],
    });
    expect(result.journalEntry).toBeNull();
    expect(result.payments.every((payment) => payment.amount.isZero())).toBe(true);
  });

  const dated: LinearFuture = { ...linear, kind: 'linear_future', expiryEpochMs: 1_743_148_800_000 };
  it.each<[string, Partial<FundingInput>, string]>([
    ['a dated future', { instrument: dated }, 'UNSUPPORTED_INSTRUMENT'],
    ['positions that do not net to zero', { positions: linearInput.positions.slice(0, 2) }, 'POSITIONS_NOT_FLAT'],
    [
      'an account twice',
      { positions: [...linearInput.positions, { accountId: 'member-a', quantity: d('0') }] },
      'DUPLICATE_ACCOUNT',
    ],
    ['the house account as a member', { houseAccount: 'member-a' }, 'HOUSE_ACCOUNT_IS_MEMBER'],
    ['a rate above the cap', { fundingRate: FUNDING_RATE_MAGNITUDE_MAX.plus('0.0001') }, 'INVALID_FUNDING_RATE'],
    ['a NaN rate', { fundingRate: d('NaN') }, 'OUT_OF_RANGE'],
    ['a zero mark price', { markPrice: d('0') }, 'NON_POSITIVE_PRICE'],
    ['a funding id with a colon', { fundingId: 'a:b' }, 'INVALID_IDENTIFIER'],
    ['a negative scale', { settlementAssetScale: -1 }, 'INVALID_SCALE'],
    [
      'too many positions',
      {
        positions: Array.from({ length: POSITIONS_PER_RUN_MAX + 1 }, (_, index) => ({
          accountId: `member-${index}`,
          quantity: d('0'),
        })),
      },
      'TOO_MANY_POSITIONS',
    ],
  ])('refuses %s', (_name, change, code) => {
    const action = (): unknown => fundingPayments({ ...linearInput, ...change });
    expect(action).toThrow(ClearingError);
    expect(action).toThrow(new RegExp(`^${code}`));
  });
});
