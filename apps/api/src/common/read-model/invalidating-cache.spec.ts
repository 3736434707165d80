import { InvalidatingCache } from './invalidating-cache.js';

function cache(options: { entriesMax?: number; maxAgeMs?: number } = {}) {
  let now = 1_000;
  const subject = new InvalidatingCache<string>({
    entriesMax: options.entriesMax ?? 100,
    maxAgeMs: options.maxAgeMs ?? 10_000,
    nowMs: () => now,
  });
  subject.enabled = true;
  return { subject, advance: (ms: number) => (now += ms) };
}

describe('InvalidatingCache', () => {
  it('serves what was stored until its group is invalidated', () => {
    const { subject } = cache();
    expect(subject.set(subject.ticket(), 'account-1', 'row', 'v1')).toBe(true);
    expect(subject.get('account-1', 'row')).toBe('v1');
    subject.invalidate(['account-2']);
    expect(subject.get('account-1', 'row')).toBe('v1');
    subject.invalidate(['account-1']);
    expect(subject.get('account-1', 'row')).toBeUndefined();
    expect(subject.size).toBe(0);
  });

  it('refuses a value read before its group changed (the read may predate the commit)', () => {
    const { subject } = cache();
    const ticket = subject.ticket();
    subject.invalidate(['account-1']);
    expect(subject.set(ticket, 'account-1', 'row', 'stale')).toBe(false);
    expect(subject.get('account-1', 'row')).toBeUndefined();
    // Other groups are unaffected, and a read started after the change is stored.
    expect(subject.set(ticket, 'account-2', 'row', 'fine')).toBe(true);
    expect(subject.set(subject.ticket(), 'account-1', 'row', 'fresh')).toBe(true);
    expect(subject.get('account-1', 'row')).toBe('fresh');
  });

  it('refuses every value read before a full invalidation', () => {
    const { subject } = cache();
    const ticket = subject.ticket();
    subject.invalidateAll();
    expect(subject.set(ticket, 'account-1', 'row', 'stale')).toBe(false);
    expect(subject.set(subject.ticket(), 'account-1', 'row', 'fresh')).toBe(true);
  });

  it('serves an entry for at most maxAgeMs', () => {
    const { subject, advance } = cache({ maxAgeMs: 500 });
    subject.set(subject.ticket(), 'g', 'k', 'v');
    advance(499);
    expect(subject.get('g', 'k')).toBe('v');
    advance(1);
    expect(subject.get('g', 'k')).toBeUndefined();
  });

  it('is bounded: a full cache drops everything', () => {
    const { subject } = cache({ entriesMax: 2 });
    subject.set(subject.ticket(), 'a', 'k', '1');
    subject.set(subject.ticket(), 'b', 'k', '2');
    expect(subject.size).toBe(2);
    expect(subject.set(subject.ticket(), 'c', 'k', '3')).toBe(false);
    expect(subject.size).toBe(0);
    expect(subject.set(subject.ticket(), 'c', 'k', '3')).toBe(true);
  });

  it('serves and stores nothing while disabled, and forgets everything when toggled', () => {
    const { subject } = cache();
    subject.set(subject.ticket(), 'g', 'k', 'v');
    subject.enabled = false;
    expect(subject.get('g', 'k')).toBeUndefined();
    expect(subject.set(subject.ticket(), 'g', 'k', 'v')).toBe(false);
    subject.enabled = true;
    expect(subject.get('g', 'k')).toBeUndefined();
  });
});
