import type { NovationConfig } from '@novation/config';

/** A GCRA (token-bucket) limit: `operationsPerSecond` sustained, up to `burst` operations at once. */
export interface RateLimit {
  readonly operationsPerSecond: number;
  readonly burst: number;
}

/**
 * The abuse limits of the GraphQL API. Defaults are the documented constants below; `createApiApp(config,
 * { ... })` overrides any of them (the load bench raises the rate limits so they do not distort it).
 */
export interface ApiSecurityOptions {
  /** Deepest selection nesting, counted in fields (fragments are inlined). */
  readonly maxDepth: number;
  /** Most lexical tokens parsed; a longer document is refused as a syntax error. */
  readonly maxTokens: number;
  /** Most aliases in one document, counted with fragments expanded. */
  readonly maxAliases: number;
  /** Highest cost: every field costs 1 times the product of the `first` of the lists around it. */
  readonly maxCost: number;
  /** `__schema` / `__type` allowed (off in production). */
  readonly introspection: boolean;
  /** Operations per API key (every API instance shares the Redis counter). */
  readonly keyRateLimit: RateLimit;
  /** Operations per client IP without a valid API key. */
  readonly anonymousRateLimit: RateLimit;
  /**
   * Requests per client IP whose API key was refused (unknown, revoked, expired). Past it, the IP's
   * keyed requests are refused RATE_LIMITED without a database lookup until the limit allows one again:
   * a flood of made-up keys costs Redis, not PostgreSQL.
   */
  readonly failedAuthenticationRateLimit: RateLimit;
  /** Prefix of the rate-limit keys in Redis. */
  readonly rateLimitKeyPrefix: string;
  /**
   * How long an authenticated key is served from memory before the database is asked again (never past the
   * key's expiry; a revocation reaches every instance by change notification). 0 disables the cache. Default:
   * the API_KEY_CACHE_TTL_MS setting (5,000 ms; the test configuration sets 0).
   */
  readonly authenticationCacheTtlMs: number;
  /**
   * Whole responses of the read-model-backed queries (one account with its positions, balances and margin)
   * kept per key and request body until a change notification touches what they read (see
   * common/read-model/response-cache.ts). Only with the authenticated-key cache on: a hit must authenticate
   * without a database read to be worth it. On by default.
   */
  readonly responseCache: boolean;
}

export const QUERY_DEPTH_MAX = 12;
/**
 * Most lexical tokens the parser reads before giving up (graphql-js `maxTokens`): bounds the parse of any
 * body under the 1 MiB limit; the largest query of the API's tests has a few hundred.
 */
export const QUERY_TOKENS_MAX = 10_000;
export const QUERY_ALIASES_MAX = 50;
/**
 * The largest query of the API's own tests, a full page of 100 accounts each with 10 positions and its
 * margin breakdown, costs 15,301; 100 accounts x 100 positions with a single field costs 30,301.
 */
export const QUERY_COST_MAX = 20_000;
/** 100 operations a second per API key, with bursts of up to 200. */
export const KEY_RATE_LIMIT: RateLimit = { operationsPerSecond: 100, burst: 200 };
/** 20 operations a second per IP without a valid key (the public `version`/`health` queries), bursts of 50. */
export const ANONYMOUS_RATE_LIMIT: RateLimit = { operationsPerSecond: 20, burst: 50 };
/** 2 refused keys a second per IP, bursts of 20: a client with a stale key sees its errors, not a lockout. */
export const FAILED_AUTHENTICATION_RATE_LIMIT: RateLimit = { operationsPerSecond: 2, burst: 20 };
export const API_SECURITY_OPTIONS = Symbol('API_SECURITY_OPTIONS');

export function apiSecurityOptions(
  config: NovationConfig,
  overrides: Partial<ApiSecurityOptions> = {},
): ApiSecurityOptions {
  return {
    maxDepth: QUERY_DEPTH_MAX,
    maxTokens: QUERY_TOKENS_MAX,
    maxAliases: QUERY_ALIASES_MAX,
    maxCost: QUERY_COST_MAX,
    introspection: config.environmentName !== 'production',
    keyRateLimit: KEY_RATE_LIMIT,
    anonymousRateLimit: ANONYMOUS_RATE_LIMIT,
    failedAuthenticationRateLimit: FAILED_AUTHENTICATION_RATE_LIMIT,
    rateLimitKeyPrefix: `${config.redis.queuePrefix}:api-rate:`,
    authenticationCacheTtlMs: config.api.keyCacheTtlMs,
    responseCache: true,
    ...overrides,
  };
}
