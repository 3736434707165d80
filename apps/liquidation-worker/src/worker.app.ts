import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NovationConfig } from '@novation/config';
import { checkRedisEvictionPolicy, createCheckRedisClient, createFastifyApp } from '@novation/platform';
import { WorkerModule } from './worker.module.js';

/**
 * The worker: BullMQ processors plus a small HTTP surface (liveness, readiness, metrics). Refuses to
 * start unless Redis evicts nothing, since an evicted job is a lost margin check or liquidation.
 */
export async function createWorkerApp(config: NovationConfig): Promise<NestFastifyApplication> {
  const redis = createCheckRedisClient(config.redis.url);
  try {
    await redis.connect();
    await checkRedisEvictionPolicy(redis);
  } finally {
    redis.disconnect();
  }
  return createFastifyApp(WorkerModule.register(config));
}
