import { z } from 'zod';

/** A TCP port; 0 asks the OS for a free one (tests). */
const port = z.coerce.number().int().min(0).max(65_535);

const postgresUrl = z
  .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' })
  .describe('PostgreSQL connection URL');

const redisUrl = z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' });

/**
 * Signing secret of admin JWTs when none is configured: fine on a developer machine and in tests, refused
 * in production (anyone who read this file could mint a risk-officer token).
 */
export const DEVELOPMENT_ADMIN_TOKEN_SECRET = 'novation-development-admin-token-secret-not-for-production';

/** A JWT issuer or audience: a URI or a plain name. */
const tokenPartyName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII, no spaces');

/**
 * The whole environment of every Novation process, validated once at start. Each variable has one
 * meaning in every app; apps read only the parts they use. Defaults suit a developer machine.
 */
export const environmentSchema = z.object({
  NOVATION_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: postgresUrl.default('postgres://postgres@127.0.0.1:5432/novation'),
  DATABASE_POOL_SIZE_MAX: z.coerce.number().int().min(1).max(200).default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  /** Prefix of every BullMQ key; lets several deployments or test files share one Redis. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_{}-]{1,64}$/, 'letters, digits, : _ - { } only, at most 64')
    .default('novation'),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  /**
   * How long the API keeps an authenticated key in memory (0 turns the cache, and with it the response
   * cache, off). Revocation and rotation reach every API instance by change notification within
   * milliseconds; a key's own expiry is always honoured; the TTL bounds anything else.
   */
  API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
  ADMIN_PORT: port.default(3001),
  WORKER_HOST: z.string().min(1).default('127.0.0.1'),
  /** The worker has no public API; this port serves its liveness, readiness and metrics. */
  WORKER_PORT: port.default(3002),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Every process runs in UTC: settlement days, funding times and audit records must not depend on a host's zone. */
  TZ: z.literal('UTC', { error: 'must be UTC (set TZ=UTC)' }).default('UTC'),
  RUN_MIGRATIONS_AT_START: z.stringbool().default(true),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Outbox dispatch poll (the safety net: the dispatcher also wakes on PostgreSQL NOTIFY). */
  MARGIN_DISPATCH_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(200),
  /** How often the reconciler looks for decisions whose job Redis lost. */
  MARGIN_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(10).max(3_600_000).default(5_000),
  /** How often every account with positions is re-margined, whatever the prices did. */
  MARGIN_SWEEP_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(24 * 3_600_000)
    .default(5 * 60_000),
  /** Finished (done or failed) outbox events older than this are deleted by the worker. */
  OUTBOX_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(30),
  /** Account events (what subscriptions and the catch-up query serve) older than this are deleted. */
  ACCOUNT_EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(90),
  /** HS256 secret that signs and verifies admin-service JWTs; at least 32 characters. */
  ADMIN_TOKEN_SECRET: z.string().min(32).max(512).default(DEVELOPMENT_ADMIN_TOKEN_SECRET),
  ADMIN_TOKEN_ISSUER: tokenPartyName.default('novation'),
  ADMIN_TOKEN_AUDIENCE: tokenPartyName.default('novation-admin'),
  /** Longest lifetime (exp - iat) an admin token may have; longer tokens are refused even if signed. */
  ADMIN_TOKEN_TTL_MAX_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(12 * 3_600)
    .default(12 * 3_600),
});

export type Environment = z.infer<typeof environmentSchema>;
