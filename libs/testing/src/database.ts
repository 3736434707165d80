import { randomBytes } from 'node:crypto';
import { loadConfig, type NovationConfig } from '@novation/config';
import pg from 'pg';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** Drops the database, whatever connections remain. */
  drop(): Promise<void>;
}

/**
 * A fresh, empty PostgreSQL database for one test file, so files run in parallel without seeing each
 * other's rows. The server comes from DATABASE_URL (the same variable the apps read). Apps under test
 * migrate it at start; persistence tests migrate it themselves (this lib does not depend on persistence,
 * so persistence's own tests can use it).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const baseUrl = new URL(loadConfig().database.url);
  const name = `novation_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  return createDatabase(baseUrl, name, `CREATE DATABASE ${name}`);
}

/**
 * A copy of `template` (CREATE DATABASE ... TEMPLATE: the same rows, the same ids) named
 * `<template>_<suffix>`, for two paths to start from one state. No connection to the template may be open
 * while it is copied.
 */
export async function cloneTestDatabase(template: TestDatabase, suffix: string): Promise<TestDatabase> {
  if (!/^[a-z0-9_]{1,20}$/.test(suffix)) throw new Error(`invalid database suffix ${JSON.stringify(suffix)}`);
  const baseUrl = new URL(template.url);
  const name = `${template.name}_${suffix}`;
  return createDatabase(baseUrl, name, `CREATE DATABASE ${name} TEMPLATE ${template.name}`);
}

/** Runs `createSql` (which creates `name`) on the server of `baseUrl`; the database, and how to drop it. */
async function createDatabase(baseUrl: URL, name: string, createSql: string): Promise<TestDatabase> {
  await withMaintenanceClient(baseUrl, (client) => client.query(createSql));
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      await withMaintenanceClient(baseUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withMaintenanceClient<T>(baseUrl: URL, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const maintenanceUrl = new URL(baseUrl);
  maintenanceUrl.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenanceUrl.toString(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A unique BullMQ key prefix, so test files share one Redis without sharing queues. */
export function uniqueQueuePrefix(): string {
  return `novation-test-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Configuration for an app under test: its own database and queue prefix, ports chosen by the OS. */
export function testConfig(overrides: Record<string, string> = {}): NovationConfig {
  const base = loadConfig();
  return loadConfig({
    NOVATION_ENV: 'test',
    DATABASE_URL: base.database.url,
    REDIS_URL: base.redis.url,
    QUEUE_PREFIX: uniqueQueuePrefix(),
    API_PORT: '0',
    // Tests see every key change at once; the ones about the key and response caches turn them on.
    API_KEY_CACHE_TTL_MS: '0',
    ADMIN_PORT: '0',
    WORKER_PORT: '0',
    LOG_LEVEL: 'silent',
    SHUTDOWN_TIMEOUT_MS: '10000',
    ...overrides,
  });
}
