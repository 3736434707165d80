import { RedisEvictionPolicyError, assertNoEviction, parseEvictionPolicy } from './redis.js';

describe('Redis eviction policy check', () => {
  const info = (policy: string) => `# Memory\r\nused_memory:1000\r\nmaxmemory:0\r\nmaxmemory_policy:${policy}\r\n`;

  it('reads maxmemory_policy from INFO memory', () => {
    expect(parseEvictionPolicy(info('noeviction'))).toBe('noeviction');
    expect(parseEvictionPolicy(info('allkeys-lru'))).toBe('allkeys-lru');
  });

  it('accepts only noeviction, with a message that says how to fix it', () => {
    expect(() => assertNoEviction('noeviction')).not.toThrow();
    expect(() => assertNoEviction('allkeys-lru')).toThrow(RedisEvictionPolicyError);
    expect(() => assertNoEviction('volatile-lru')).toThrow(/maxmemory-policy noeviction/);
  });

  it('fails clearly when INFO has no policy line', () => {
    expect(() => parseEvictionPolicy('# Memory\r\n')).toThrow(/maxmemory_policy/);
  });
});
