import { z } from 'zod';
import { DEVELOPMENT_ADMIN_TOKEN_SECRET, environmentSchema, type Environment } from './schema.js';

/** Typed configuration of a Novation process, derived from the validated environment. */
export interface NovationConfig {
  readonly environmentName: Environment['NOVATION_ENV'];
  readonly database: {
    readonly url: string;
    readonly poolSizeMax: number;
    readonly statementTimeoutMs: number;
    readonly runMigrationsAtStart: boolean;
  };
  readonly redis: { readonly url: string; readonly queuePrefix: string };
  readonly api: { readonly host: string; readonly port: number; readonly keyCacheTtlMs: number };
  readonly admin: { readonly host: string; readonly port: number };
  readonly worker: { readonly host: string; readonly port: number };
  /** How admin-service JWTs are signed and checked (HS256, issuer, audience, longest lifetime). */
  readonly adminToken: {
    readonly secret: string;
    readonly issuer: string;
    readonly audience: string;
    readonly ttlMaxSeconds: number;
  };
  /** Timing of the worker's margin pipeline and retention of what it leaves behind. */
  readonly marginPipeline: {
    readonly dispatchIntervalMs: number;
    readonly reconcileIntervalMs: number;
    readonly sweepIntervalMs: number;
    readonly outboxRetentionDays: number;
    readonly accountEventRetentionDays: number;
  };
  readonly logLevel: Environment['LOG_LEVEL'];
  readonly shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly issues: readonly { variable: string; message: string }[]) {
    super(
      `Invalid environment configuration:\n${issues.map((issue) => `  - ${issue.variable}: ${issue.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/**
 * Validates an environment (by default the process's) and returns the typed configuration, or throws a
 * ConfigError naming every bad variable. Never logs values: a URL may hold a password.
 */
export function loadConfig(environment: Readonly<Record<string, string | undefined>> = process.env): NovationConfig {
  const relevant = Object.fromEntries(
    Object.keys(environmentSchema.shape).map((key) => [key, emptyToUndefined(environment[key])]),
  );
  const parsed = environmentSchema.safeParse(relevant);
  if (!parsed.success) throw new ConfigError(toIssues(parsed.error));
  const env = parsed.data;
  if (env.NOVATION_ENV === 'production' && env.ADMIN_TOKEN_SECRET === DEVELOPMENT_ADMIN_TOKEN_SECRET) {
    throw new ConfigError([
      { variable: 'ADMIN_TOKEN_SECRET', message: 'must be set in production (the default is public)' },
    ]);
  }
  return Object.freeze({
    environmentName: env.NOVATION_ENV,
    database: {
      url: env.DATABASE_URL,
      poolSizeMax: env.DATABASE_POOL_SIZE_MAX,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      runMigrationsAtStart: env.RUN_MIGRATIONS_AT_START,
    },
    redis: { url: env.REDIS_URL, queuePrefix: env.QUEUE_PREFIX },
    api: { host: env.API_HOST, port: env.API_PORT, keyCacheTtlMs: env.API_KEY_CACHE_TTL_MS },
    admin: { host: env.ADMIN_HOST, port: env.ADMIN_PORT },
    worker: { host: env.WORKER_HOST, port: env.WORKER_PORT },
    adminToken: {
      secret: env.ADMIN_TOKEN_SECRET,
      issuer: env.ADMIN_TOKEN_ISSUER,
      audience: env.ADMIN_TOKEN_AUDIENCE,
      ttlMaxSeconds: env.ADMIN_TOKEN_TTL_MAX_SECONDS,
    },
    marginPipeline: {
      dispatchIntervalMs: env.MARGIN_DISPATCH_INTERVAL_MS,
      reconcileIntervalMs: env.MARGIN_RECONCILE_INTERVAL_MS,
      sweepIntervalMs: env.MARGIN_SWEEP_INTERVAL_MS,
      outboxRetentionDays: env.OUTBOX_RETENTION_DAYS,
      accountEventRetentionDays: env.ACCOUNT_EVENT_RETENTION_DAYS,
    },
    logLevel: env.LOG_LEVEL,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  });
}

/** An empty variable (`FOO=`) means "not set", so the default applies, as in most twelve-factor tools. */
function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function toIssues(error: z.ZodError): { variable: string; message: string }[] {
  return error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '(environment)'), message: issue.message }));
}

let cached: NovationConfig | undefined;

/**
 * The process-wide configuration, validated on first use. Apps call this once at start (so a bad value
 * stops the process before it listens) and then inject the result; nothing else reads process.env.
 */
export function getConfig(): NovationConfig {
  cached ??= loadConfig();
  return cached;
}
