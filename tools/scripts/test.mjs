// npm test: installs what is missing, makes sure PostgreSQL and Redis answer, then runs every tier:
// lint, typecheck, format check, unit, integration (real PostgreSQL and Redis), e2e (booted apps over
// HTTP). Every step runs even after a failure, so one run shows everything that is wrong.
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build, ensureInstalled, log, run, workspaceRoot } from './lib/workspace.mjs';
import { ensurePostgres, ensureRedis } from './lib/services.mjs';
import { runJestTier } from './jest.mjs';

process.env.TZ = 'UTC';
const started = Date.now();
await ensureInstalled();
let postgres;
try {
  process.env.REDIS_URL = await ensureRedis();
  postgres = await ensurePostgres();
  process.env.DATABASE_URL = postgres.url;
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

const node = process.execPath;
const bin = (name) => path.join(workspaceRoot, 'node_modules', name);
const reports = path.join(workspaceRoot, 'tmp/test-reports');
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

const steps = [
  [
    'lint',
    () =>
      run(node, [bin('nx/dist/bin/nx.js'), 'show', 'projects'], { stdio: ['ignore', 'ignore', 'inherit'] }).then(() =>
        run(node, [bin('eslint/bin/eslint.js'), '--max-warnings=0', '.']),
      ),
  ],
  ['typecheck', () => run(node, [bin('typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit'])],
  ['format', () => run(node, [bin('prettier/bin/prettier.cjs'), '--check', '--log-level=warn', '.'])],
  // e2e runs the compiled binaries (novation-risk, the apps' main files), so build them first.
  ['build', () => build()],
  ...['unit', 'integration', 'e2e'].map((tier) => [
    tier,
    () => runJestTier(tier, ['--json', `--outputFile=${path.join(reports, `${tier}.json`)}`]),
  ]),
];

const failed = [];
for (const [name, step] of steps) {
  const stepStarted = Date.now();
  log(`── ${name}`);
  try {
    await step();
    log(`${name} passed in ${((Date.now() - stepStarted) / 1000).toFixed(1)} s`);
  } catch (error) {
    failed.push(name);
    log(`${name} FAILED in ${((Date.now() - stepStarted) / 1000).toFixed(1)} s: ${error.message}`);
  }
}
await postgres.stop();

let passedTests = 0;
let failedTests = 0;
for (const tier of ['unit', 'integration', 'e2e']) {
  const file = path.join(reports, `${tier}.json`);
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passedTests += report.numPassedTests;
  failedTests += report.numFailedTests + report.numRuntimeErrorTestSuites;
  log(`${tier}: ${report.numPassedTests} passed, ${report.numFailedTests} failed (${report.numTotalTestSuites} files)`);
}
log(
  `steps failed: ${failed.length === 0 ? 'none' : failed.join(', ')}; took ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
process.stdout.write(`tests: ${passedTests} passed, ${failedTests} failed\n`);
process.exit(failed.length === 0 ? 0 : 1);
