import { Redis } from 'ioredis';

/** Connection settings for short-lived checks: fail fast instead of queueing commands while Redis is away. */
export const REDIS_CHECK_CONNECT_TIMEOUT_MS = 2_000;

export function createCheckRedisClient(url: string): Redis {
  return new Redis(url, {
    connectTimeout: REDIS_CHECK_CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    lazyConnect: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}

export class RedisEvictionPolicyError extends Error {
  constructor(readonly policy: string) {
    super(
      `Redis maxmemory-policy is "${policy}", but BullMQ needs "noeviction": with eviction Redis may silently ` +
        'drop queued margin checks and liquidations. Set it with `redis-server --maxmemory-policy noeviction` ' +
        '(or CONFIG SET maxmemory-policy noeviction) and restart.',
    );
    this.name = 'RedisEvictionPolicyError';
  }
}

/** Reads `maxmemory_policy` from the text of `INFO memory` (works where CONFIG is disabled, as on managed Redis). */
export function parseEvictionPolicy(infoMemory: string): string {
  const line = infoMemory.split(/\r?\n/).find((candidate) => candidate.startsWith('maxmemory_policy:'));
  if (line === undefined) throw new Error('INFO memory did not report maxmemory_policy');
  return line.slice('maxmemory_policy:'.length).trim();
}

export function assertNoEviction(policy: string): void {
  if (policy !== 'noeviction') throw new RedisEvictionPolicyError(policy);
}

/** Asks a live Redis for its eviction policy and throws RedisEvictionPolicyError unless it is noeviction. */
export async function checkRedisEvictionPolicy(redis: Redis): Promise<string> {
  const policy = parseEvictionPolicy(await redis.info('memory'));
  assertNoEviction(policy);
  return policy;
}
