import { InvalidatingCache } from './invalidating-cache.js';
import { ResponseCache, responseCacheKey } from './response-cache.js';

function caches(options: { bytesMax?: number; entryBytesMax?: number; maxAgeMs?: number } = {}) {
  let now = 1_000;
  const nowMs = () => now;
  const accounts = new InvalidatingCache<unknown>({ entriesMax: 100, maxAgeMs: 10_000, nowMs });
  const marks = new InvalidatingCache<unknown>({ entriesMax: 100, maxAgeMs: 10_000, nowMs });
  accounts.enabled = true;
  marks.enabled = true;
  const responses = new ResponseCache(accounts, marks, {
    bytesMax: options.bytesMax ?? 1_000_000,
    entryBytesMax: options.entryBytesMax ?? 100_000,
    maxAgeMs: options.maxAgeMs ?? 10_000,
    nowMs,
  });
  return { accounts, marks, responses, advance: (ms: number) => (now += ms) };
}

/** A request that read account `a-1` and the mark of instrument `i-1`. */
function readsOf(responses: ResponseCache) {
  const reads = responses.begin();
  reads.accounts.add('a-1');
  reads.marks.add('i-1');
  return reads;
}

describe('ResponseCache', () => {
  it('serves a response until an account or a mark it read is invalidated', () => {
    const { accounts, marks, responses } = caches();
    expect(responses.set('k', 'key-1', '{"data":1}', readsOf(responses))).toBe(true);
    expect(responses.get('k')).toEqual(expect.objectContaining({ keyId: 'key-1', payload: '{"data":1}' }));
    accounts.invalidate(['a-2']);
    marks.invalidate(['i-2']);
    expect(responses.get('k')?.payload).toBe('{"data":1}');
    marks.invalidate(['i-1']);
    expect(responses.get('k')).toBeUndefined();
    expect(responses.size).toBe(0);
    expect(responses.set('k', 'key-1', '{"data":2}', readsOf(responses))).toBe(true);
    accounts.invalidate(['a-1']);
    expect(responses.get('k')).toBeUndefined();
  });

  it('refuses a response whose reads changed while it was computed', () => {
    const { accounts, marks, responses } = caches();
    const reads = readsOf(responses);
    accounts.invalidate(['a-1']);
    expect(responses.set('k', 'key-1', 'stale', reads)).toBe(false);
    const markReads = readsOf(responses);
    marks.invalidateAll();
    expect(responses.set('k', 'key-1', 'stale', markReads)).toBe(false);
    expect(responses.size).toBe(0);
  });

  it('serves nothing while the read model is off (notifications could be missed)', () => {
    const { accounts, responses } = caches();
    responses.set('k', 'key-1', 'v', readsOf(responses));
    accounts.enabled = false;
    expect(responses.get('k')).toBeUndefined();
    accounts.enabled = true;
    expect(responses.get('k')).toBeUndefined();
  });

  it('serves an entry for at most maxAgeMs', () => {
    const { responses, advance } = caches({ maxAgeMs: 500 });
    responses.set('k', 'key-1', 'v', readsOf(responses));
    advance(499);
    expect(responses.get('k')?.payload).toBe('v');
    advance(1);
    expect(responses.get('k')).toBeUndefined();
  });

  it('is bounded in bytes: an oversized response is not kept, a full cache drops everything', () => {
    // Two bytes per code unit of key and payload: 'k1' + 8 characters = 20 bytes.
    const { responses } = caches({ bytesMax: 45, entryBytesMax: 30 });
    expect(responses.set('k0', 'key-1', 'x'.repeat(14), readsOf(responses))).toBe(false);
    expect(responses.set('k1', 'key-1', 'x'.repeat(8), readsOf(responses))).toBe(true);
    expect(responses.set('k2', 'key-1', 'x'.repeat(8), readsOf(responses))).toBe(true);
    expect(responses.set('k3', 'key-1', 'x'.repeat(8), readsOf(responses))).toBe(true);
    expect(responses.size).toBe(1);
    expect(responses.get('k3')?.payload).toBe('x'.repeat(8));
  });

  it('forgets the responses of changed API keys', () => {
    const { responses } = caches();
    responses.set('k1', 'key-1', 'v', readsOf(responses));
    responses.set('k2', 'key-2', 'v', readsOf(responses));
    responses.forgetKeys(['key-1']);
    expect(responses.get('k1')).toBeUndefined();
    expect(responses.get('k2')?.payload).toBe('v');
    responses.forgetKeys('all');
    expect(responses.size).toBe(0);
  });

  it('keys on the whole request: query, operation name and variables', () => {
    const base = { query: '{ a }', operationName: 'A', variables: { id: '1' } };
    const key = responseCacheKey('digest', base);
    expect(responseCacheKey('digest', { ...base })).toBe(key);
    expect(responseCacheKey('other', base)).not.toBe(key);
    expect(responseCacheKey('digest', { ...base, variables: { id: '2' } })).not.toBe(key);
    expect(responseCacheKey('digest', { ...base, operationName: 'B' })).not.toBe(key);
    expect(responseCacheKey('digest', { ...base, query: '{ b }' })).not.toBe(key);
  });
});
