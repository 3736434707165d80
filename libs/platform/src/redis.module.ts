import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { NovationConfig } from '@novation/config';
import type { Redis } from 'ioredis';
import { NOVATION_CONFIG } from './config.module.js';
import { createCheckRedisClient } from './redis.js';

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/** Closes the shared client when the app shuts down, so no socket keeps the process alive. */
@Injectable()
class RedisClientCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.redis.status !== 'end') await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** One Redis client per process for health checks and small reads; BullMQ manages its own connections. */
@Global()
@Module({
  providers: [
    {
      provide: REDIS_CLIENT,
      inject: [NOVATION_CONFIG],
      useFactory: (config: NovationConfig) => createCheckRedisClient(config.redis.url),
    },
    RedisClientCloser,
  ],
  exports: [REDIS_CLIENT],
})
export class RedisModule {}
