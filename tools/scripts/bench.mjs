// npm run bench: builds, then runs every compiled benchmark (tools/bench/*.bench.ts), one process each so
// one benchmark's garbage does not slow the next. Each prints its own table. Benchmarks measure; they
// never fail on timing.
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { build, ensureInstalled, log, run, workspaceRoot } from './lib/workspace.mjs';

await ensureInstalled();
await build();
const benchDirectory = path.join(workspaceRoot, 'dist/tools/bench');
const benchmarks = existsSync(benchDirectory)
  ? readdirSync(benchDirectory)
      .filter((file) => file.endsWith('.bench.js'))
      .sort()
  : [];
const only = process.argv[2];
for (const file of benchmarks.filter((name) => only === undefined || name.includes(only))) {
  log(`── ${file.replace(/\.bench\.js$/, '')}`);
  await run(process.execPath, ['--import', './tools/runtime/register.mjs', path.join(benchDirectory, file)]);
}
if (benchmarks.length === 0) log('no benchmarks found under tools/bench');
