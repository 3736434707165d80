import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The compiled entry points (built by npm test before this tier) validate the environment before they
// connect or listen: a bad value stops the process with a message naming the variable.
const workspaceRoot = fileURLToPath(new URL('../../..', import.meta.url));

function runMain(main: string, environment: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', './tools/runtime/register.mjs', main], {
    cwd: workspaceRoot,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env['PATH'] ?? '', TZ: 'UTC', ...environment },
  });
}

describe('service entry points refuse a bad environment', () => {
  it.each([
    ['dist/apps/api/src/main.js', { API_PORT: 'eighty' }, 'API_PORT'],
    ['dist/apps/admin/src/main.js', { DATABASE_URL: 'mysql://127.0.0.1/novation' }, 'DATABASE_URL'],
    ['dist/apps/liquidation-worker/src/main.js', { TZ: 'Europe/Paris' }, 'TZ'],
  ])('%s exits 1 naming the bad variable', (main, environment, variable) => {
    const result = runMain(main, environment as Record<string, string>);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`Invalid environment configuration:[\\s\\S]*${variable}:`));
  });
});
