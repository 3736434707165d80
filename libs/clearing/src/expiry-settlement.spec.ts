import { Decimal } from '@novation/money';
import type { EuropeanOption, LinearFuture, LinearPerpetual } from '@novation/instruments';
import { ClearingError } from './clearing-error.js';
import { expirySettlement } from './expiry-settlement.js';
import type { ExpirySettlementInput } from './expiry-settlement.js';
import { assertBalancedEntry } from './ledger-draft.js';
import type { JournalEntryDraft } from './ledger-draft.js';
import type { ReferencedPosition } from './referenced-position.js';

/**
 * Option cases from /work/shared/reference/cases.json:
 * - CV-DERIBIT-01..03: Deribit docs 'Options' (legacy), https://www.deribit.com/pages/docs/options
 * - CV-DERIBIT-04: Deribit support 'Options explained',
 *   https://deribit.freshdesk.com/support/solutions/articles/1000057047-options-explained
 * - CV-DERIBIT-06: Deribit Support 'Linear USDC Options',
 *   https://support.deribit.com/hc/en-us/articles/25944750999581-Linear-USDC-Options
 * The premium legs of those cases are posted at the trade (novation.spec.ts); here only the settlement.
 */
const d = (value: string): Decimal => new Decimal(value);
const HOUSE = 'house-variation-margin';
const EXPIRY_EPOCH_MS = 1_735_718_400_000;

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
    expiryEpochMs: EXPIRY_EPOCH_MS,
  };
}

const held = (accountId: string, quantity: string, referencePrice: string | null = null): ReferencedPosition => ({
  accountId,
  quantity: d(quantity),
  referencePrice: referencePrice === null ? null : d(referencePrice),
});

const holderAndWriter = [held('holder', '1'), held('writer', '-1')];

const inputFor = (instrument: EuropeanOption | LinearFuture, deliveryPrice: string): ExpirySettlementInput => ({
  instrument,
  deliveryPrice: d(deliveryPrice),
  nowEpochMs: EXPIRY_EPOCH_MS,
  positions: holderAndWriter,
  houseAccount: HOUSE,
  settlementAssetScale: 8,
});

function postingsOf(entry: JournalEntryDraft | null): Record<string, string> {
  expect(entry).not.toBeNull();
  assertBalancedEntry(entry as JournalEntryDraft);
  return Object.fromEntries((entry as JournalEntryDraft).postings.map((p) => [p.accountId, p.amount.toFixed()]));
}

describe('expirySettlement of options', () => {
  it('CV-DERIBIT-01: call K=10,000 at 12,500 pays (12500 - 10000) / 12500 = 0.2 BTC', () => {
    const result = expirySettlement(inputFor(btcOption('call', '10000'), '12500'));
    expect(result.journalEntry?.idempotencyKey).toBe('expiry:BTC-10000-C');
    expect(result.journalEntry?.kind).toBe('expiry_settlement');
    expect(postingsOf(result.journalEntry)).toEqual({ holder: '0.2', writer: '-0.2' });
  });

  it('CV-DERIBIT-02: put K=10,000 at 5,000 pays 5000 / 5000 = 1 BTC', () => {
    const result = expirySettlement(inputFor(btcOption('put', '10000'), '5000'));
    expect(postingsOf(result.journalEntry)).toEqual({ holder: '1', writer: '-1' });
  });

  it.each([
    ['put', '10001'],
    ['call', '9999'],
  ] as const)('CV-DERIBIT-03: %s K=10,000 at %s expires worthless: nothing is posted', (type, delivery) => {
    const result = expirySettlement(inputFor(btcOption(type, '10000'), delivery));
    expect(result.journalEntry).toBeNull();
    expect(result.settlements.every((settlement) => settlement.amount.isZero())).toBe(true);
  });

  it.each([
    ['call', '400', '0.25'],
    ['put', '200', '0.5'],
  ] as const)('CV-DERIBIT-04: 300 %s at %s pays 100 USD = %s BTC', (type, delivery, expected) => {
    const result = expirySettlement(inputFor(btcOption(type, '300'), delivery));
    expect(postingsOf(result.journalEntry)).toEqual({ holder: expected, writer: `-${expected}` });
  });

  it('CV-DERIBIT-06: SOL call K=250, multiplier 10, at 275 pays 10 x 25 = 250 USDC (profit 250 - 100 premium)', () => {
    const solCall: EuropeanOption = {
      ...btcOption('call', '250'),
      id: 'SOL_USDC-250-C',
      underlying: 'SOL',
      quoteAsset: 'USDC',
      settlementAsset: 'USDC',
      settlement: 'linear',
      contractSize: d('10'),
    };
    const result = expirySettlement({ ...inputFor(solCall, '275'), settlementAssetScale: 6 });
    expect(postingsOf(result.journalEntry)).toEqual({ holder: '250', writer: '-250' });
  });

  it('rounds an inverse payoff against both sides: 10000 / 30000 = 0.333... BTC at scale 8', () => {
    const result = expirySettlement(inputFor(btcOption('call', '20000'), '30000'));
    expect(postingsOf(result.journalEntry)).toEqual({
      holder: '0.33333333',
      writer: '-0.33333334',
      [HOUSE]: '0.00000001',
    });
  });
});

describe('expirySettlement of dated futures', () => {
  const future: LinearFuture = {
    kind: 'linear_future',
    id: 'BTC-USDC-01JAN25',
    underlying: 'BTC',
    quoteAsset: 'USDC',
    settlementAsset: 'USDC',
    contractSize: d('1'),
    expiryEpochMs: EXPIRY_EPOCH_MS,
  };

  it('settles a final variation margin: A 2 x (105 - 100) = 10, B -2 x (105 - 101) = -8, house -2', () => {
    const result = expirySettlement({
      ...inputFor(future, '105'),
      positions: [held('member-a', '2', '100'), held('member-b', '-2', '101'), held('member-c', '0')],
      settlementAssetScale: 2,
    });
    expect(postingsOf(result.journalEntry)).toEqual({ 'member-a': '10', 'member-b': '-8', [HOUSE]: '-2' });
    expect(result.settlements[2].amount.isZero()).toBe(true);
  });

  const perpetual: LinearPerpetual = { ...future, kind: 'linear_perpetual', id: 'BTC-USDC-PERP' };
  it.each<[string, Partial<ExpirySettlementInput>, string]>([
    ['settling before expiry', { nowEpochMs: EXPIRY_EPOCH_MS - 1 }, 'INSTRUMENT_NOT_EXPIRED'],
    ['a perpetual', { instrument: perpetual }, 'UNSUPPORTED_INSTRUMENT'],
    ['a future position without reference', {}, 'MISSING_REFERENCE_PRICE'],
    ['positions not netting to zero', { positions: [held('member-a', '1', '100')] }, 'POSITIONS_NOT_FLAT'],
    ['a zero delivery price', { deliveryPrice: d('0') }, 'NON_POSITIVE_PRICE'],
    ['a bad clock', { nowEpochMs: Number.NaN }, 'INVALID_TIMESTAMP'],
  ])('refuses %s', (_name, change, code) => {
    const action = (): unknown => expirySettlement({ ...inputFor(future, '105'), ...change });
    expect(action).toThrow(ClearingError);
    expect(action).toThrow(new RegExp(`^${code}`));
  });
});
