// npm run test:<tier> [-- paths]: one jest tier (unit | integration | e2e) in ESM mode.
import path from 'node:path';
import { run, workspaceRoot } from './lib/workspace.mjs';

const TIERS = ['unit', 'integration', 'e2e'];

export async function runJestTier(tier, extraArguments = []) {
  if (!TIERS.includes(tier)) throw new Error(`tier must be one of ${TIERS.join(', ')}`);
  await run(
    process.execPath,
    [
      '--experimental-vm-modules',
      '--no-warnings=ExperimentalWarning',
      path.join(workspaceRoot, 'node_modules/jest/bin/jest.js'),
      '-c',
      `jest.${tier}.config.mjs`,
      '--passWithNoTests=false',
      ...extraArguments,
    ],
    { env: { ...process.env, TZ: 'UTC' } },
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [tier, ...rest] = process.argv.slice(2);
  try {
    await runJestTier(tier, rest);
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
