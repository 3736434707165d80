// npm start: installs what is missing, builds, ensures PostgreSQL (local, DATABASE_URL or embedded) and
// Redis, migrates, seeds the demo market, then runs api, worker and admin until Ctrl-C (or SIGTERM),
// which stops all three (and the embedded PostgreSQL) cleanly.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { build, ensureInstalled, log, workspaceRoot } from './lib/workspace.mjs';
import { ensurePostgres, ensureRedis } from './lib/services.mjs';
import { withDataSource } from './lib/dist.mjs';

const SERVICES = [
  { name: 'api', main: 'dist/apps/api/src/main.js', portVariable: 'API_PORT', port: 3000, paths: ['/graphql'] },
  {
    name: 'worker',
    main: 'dist/apps/liquidation-worker/src/main.js',
    portVariable: 'WORKER_PORT',
    port: 3002,
    paths: ['/health/ready'],
  },
  {
    name: 'admin',
    main: 'dist/apps/admin/src/main.js',
    portVariable: 'ADMIN_PORT',
    port: 3001,
    paths: ['/docs', '/docs-json'],
  },
];
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
/** How often the launcher checks that `npm start` (its parent) is still there. */
const ORPHAN_CHECK_INTERVAL_MS = 1_000;

process.env.TZ = 'UTC';
await ensureInstalled();
await build();
let redisUrl;
try {
  redisUrl = await ensureRedis();
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
const postgres = await ensurePostgres();
await withDataSource(postgres.url, async (dataSource, persistence) => {
  const applied = await persistence.migrateUp(dataSource);
  log(applied.length === 0 ? 'schema is up to date' : `migrated: ${applied.join(', ')}`);
  const summary = await persistence.seedDemoMarket(dataSource, new Date());
  log(
    `demo market ready: ${summary.memberFirms} member firms, ${summary.accounts} accounts, ${summary.instruments} instruments (${summary.depositsApplied} new deposits)`,
  );
});

const children = SERVICES.map((service) => {
  const port = Number(process.env[service.portVariable] || service.port);
  const child = spawn(process.execPath, ['--import', './tools/runtime/register.mjs', service.main], {
    cwd: workspaceRoot,
    env: {
      ...process.env,
      DATABASE_URL: postgres.url,
      REDIS_URL: redisUrl,
      RUN_MIGRATIONS_AT_START: 'false',
      [service.portVariable]: String(port),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return { ...service, port, child, exited: new Promise((resolve) => child.once('exit', resolve)) };
});

let stopping = false;
async function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  log('stopping api, worker and admin');
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
  const timer = setTimeout(
    () => children.forEach(({ child }) => child.exitCode === null && child.kill('SIGKILL')),
    STOP_TIMEOUT_MS,
  );
  await Promise.all(children.map(({ exited }) => exited));
  clearTimeout(timer);
  await Promise.race([postgres.stop(), new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS))]);
  log('stopped');
  process.exit(exitCode);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
// `npm start` killed with SIGTERM (a process manager, `docker stop`) exits without passing the signal on
// through its shell: this process is then re-parented. Stop the services rather than leave them running.
const parentAtStart = process.ppid;
setInterval(() => {
  if (process.ppid !== parentAtStart) void stopAll(0);
}, ORPHAN_CHECK_INTERVAL_MS).unref();
for (const { name, exited } of children) {
  void exited.then((code) => {
    if (!stopping) {
      log(`${name} exited unexpectedly (${code}); stopping the others`);
      void stopAll(1);
    }
  });
}

async function waitReady({ port }) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && !stopping) {
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`not ready on port ${port} after ${READY_TIMEOUT_MS} ms`);
}
try {
  await Promise.all(children.map(waitReady));
} catch (error) {
  log(error.message);
  await stopAll(1);
}
log(
  `Novation is running (PostgreSQL: ${postgres.embedded ? 'embedded, .data/postgres' : new URL(postgres.url).host}). Ctrl-C stops it.`,
);
for (const { name, port, paths } of children) {
  log(
    `  ${name.padEnd(7)} ${paths.map((route) => `http://127.0.0.1:${port}${route}`).join('  ')}  (health: /health/live, /health/ready; metrics: /metrics)`,
  );
}
log(`  risk CLI: npx novation-risk --help   (${path.relative(workspaceRoot, 'apps/risk-cli') || 'apps/risk-cli'})`);
