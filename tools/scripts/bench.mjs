// npm run bench: builds, then runs every compiled benchmark (tools/bench/*.bench.ts), one process each so
// one benchmark's garbage does not slow the next. Each prints its own table. Benchmarks measure; they
// never fail on timing.
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { ensurePostgres, ensureRedis } from './lib/services.mjs';
import { build, ensureInstalled, log, run, workspaceRoot } from './lib/workspace.mjs';

await ensureInstalled();
await build();
// The novation and API-load benches create their own database and use Redis: the same services as npm
// start (DATABASE_URL, the local server, or the embedded one), passed to every bench process.
const redisUrl = await ensureRedis();
const postgres = await ensurePostgres();
const environment = { ...process.env, DATABASE_URL: postgres.url, REDIS_URL: redisUrl };
const benchDirectory = path.join(workspaceRoot, 'dist/tools/bench');
const benchmarks = existsSync(benchDirectory)
  ? readdirSync(benchDirectory)
      .filter((file) => file.endsWith('.bench.js'))
      .sort()
  : [];
const only = process.argv[2];
for (const file of benchmarks.filter((name) => only === undefined || name.includes(only))) {
  log(`── ${file.replace(/\.bench\.js$/, '')}`);
  await run(process.execPath, ['--import', './tools/runtime/register.mjs', path.join(benchDirectory, file)], {
    env: environment,
  });
}
await postgres.stop();
if (benchmarks.length === 0) log('no benchmarks found under tools/bench');
