import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { REDIS_CLIENT } from '@novation/platform';
import type { Redis } from 'ioredis';
import { API_SECURITY_OPTIONS, type ApiSecurityOptions, type RateLimit } from './security.options.js';

/**
 * GCRA (a token bucket kept as one timestamp per client): the key holds the "theoretical arrival time" in
 * milliseconds of Redis's own clock, so every API instance agrees. Each operation moves it one emission
 * interval (1000 / rate) forward; an operation is refused when that would put it more than `burst`
 * intervals ahead of now, and the reply says when the next one will be accepted. One round trip, atomic.
 * KEYS[1] = bucket; ARGV[1] = emission interval ms; ARGV[2] = burst. Returns {allowed 0|1, retryAfterMs}.
 */
const GCRA_SCRIPT = `
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nextTat = tat + interval
local allowAt = nextTat - interval * burst
if allowAt > now then
  return {0, math.ceil(allowAt - now)}
end
redis.call('SET', KEYS[1], string.format("%.3f", nextTat), "PX", math.ceil(nextTat - now) + 1)
return {1, 0}
`;
const GCRA_SHA = createHash('sha1').update(GCRA_SCRIPT).digest('hex');

export interface RateDecision {
  readonly allowed: boolean;
  /** When refused: how long until one more operation is accepted. */
  readonly retryAfterMs: number;
}

const ALLOWED: RateDecision = { allowed: true, retryAfterMs: 0 };

/** Counts GraphQL operations per API key (or per IP without one) in Redis. */
@Injectable()
export class OperationRateLimiter {
  private readonly logger = new Logger(OperationRateLimiter.name);

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(API_SECURITY_OPTIONS) private readonly options: ApiSecurityOptions,
  ) {}

  /** One operation of API key `keyId`. */
  forKey(keyId: string): Promise<RateDecision> {
    return this.take(`key:${keyId}`, this.options.keyRateLimit);
  }

  /** One refused API key of a client, by IP address (see failedAuthenticationRateLimit). */
  forFailedAuthentication(ip: string): Promise<RateDecision> {
    return this.take(`authfail:${ip}`, this.options.failedAuthenticationRateLimit);
  }

  /** One operation of a client without a valid key, by IP address. */
  forAnonymous(ip: string): Promise<RateDecision> {
    return this.take(`ip:${ip}`, this.options.anonymousRateLimit);
  }

  private async take(subject: string, limit: RateLimit): Promise<RateDecision> {
    const key = `${this.options.rateLimitKeyPrefix}${subject}`;
    const interval = 1000 / limit.operationsPerSecond;
    try {
      const [allowed, retryAfterMs] = await this.run(key, interval, limit.burst);
      return allowed === 1 ? ALLOWED : { allowed: false, retryAfterMs };
    } catch (error) {
      // Fail open: an unreachable Redis must not take the API down; the database pool still bounds load.
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.error(`rate limit check failed, operation allowed: ${reason}`);
      return ALLOWED;
    }
  }

  private async run(key: string, interval: number, burst: number): Promise<[number, number]> {
    try {
      return (await this.redis.evalsha(GCRA_SHA, 1, key, interval, burst)) as [number, number];
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await this.redis.eval(GCRA_SCRIPT, 1, key, interval, burst)) as [number, number];
    }
  }
}
