import { Decimal } from '@novation/money';
import { ClearingError } from './clearing-error.js';
import { assertBalancedEntry, POSTINGS_PER_ENTRY_MAX } from './ledger-draft.js';
import type { JournalEntryDraft, PostingDraft } from './ledger-draft.js';

const d = (value: string): Decimal => new Decimal(value);
const posting = (accountId: string, asset: string, amount: string): PostingDraft => ({
  accountId,
  asset,
  amount: d(amount),
});
const entry = (postings: PostingDraft[]): JournalEntryDraft => ({
  idempotencyKey: 'test:1',
  kind: 'test',
  description: 'test entry',
  postings,
});

function expectCode(action: () => unknown, code: string): void {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ClearingError);
    expect((error as ClearingError).code).toBe(code);
    return;
  }
  throw new Error(`expected ClearingError ${code}`);
}

describe('assertBalancedEntry', () => {
  it('accepts an entry that balances in every asset', () => {
    // USDC: 100.5 - 100.5 = 0; BTC: 0.01 - 0.004 - 0.006 = 0.
    const draft = entry([
      posting('member-a', 'USDC', '100.5'),
      posting('house', 'USDC', '-100.5'),
      posting('member-a', 'BTC', '0.01'),
      posting('member-b', 'BTC', '-0.004'),
      posting('house', 'BTC', '-0.006'),
    ]);
    expect(() => assertBalancedEntry(draft)).not.toThrow();
  });

  it('refuses an empty entry', () => expectCode(() => assertBalancedEntry(entry([])), 'EMPTY_ENTRY'));

  it('refuses a zero posting', () => {
    expectCode(
      () => assertBalancedEntry(entry([posting('a', 'USDC', '0'), posting('b', 'USDC', '0')])),
      'ZERO_POSTING',
    );
  });

  it('refuses a non-finite posting', () => {
    const draft = entry([posting('a', 'USDC', '1'), { accountId: 'b', asset: 'USDC', amount: d('NaN') }]);
    expectCode(() => assertBalancedEntry(draft), 'ZERO_POSTING');
  });

  it('refuses an entry that balances in total but not per asset (1 BTC is not -1 USDC)', () => {
    expectCode(
      () => assertBalancedEntry(entry([posting('a', 'BTC', '1'), posting('b', 'USDC', '-1')])),
      'UNBALANCED_ENTRY',
    );
  });

  it('refuses an entry off by the smallest unit', () => {
    expectCode(
      () => assertBalancedEntry(entry([posting('a', 'USDC', '1.000001'), posting('b', 'USDC', '-1')])),
      'UNBALANCED_ENTRY',
    );
  });

  it(`refuses more than ${POSTINGS_PER_ENTRY_MAX} postings`, () => {
    const postings = Array.from({ length: POSTINGS_PER_ENTRY_MAX + 2 }, (_, index) =>
      posting(`a${index}`, 'USDC', index % 2 === 0 ? '1' : '-1'),
    );
    expectCode(() => assertBalancedEntry(entry(postings)), 'TOO_MANY_POSTINGS');
  });
});
