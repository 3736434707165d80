import { loadConfig } from '@novation/config';
import { checkRedisEvictionPolicy, createCheckRedisClient } from './redis.js';

describe('checkRedisEvictionPolicy against the real Redis', () => {
  it('reports noeviction (BullMQ requirement) on the test Redis', async () => {
    const redis = createCheckRedisClient(loadConfig().redis.url);
    try {
      await redis.connect();
      await expect(checkRedisEvictionPolicy(redis)).resolves.toBe('noeviction');
    } finally {
      redis.disconnect();
    }
  });
});
