import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const workspaceRoot = fileURLToPath(new URL('../../..', import.meta.url));

function novationRisk(args: string[]) {
  return spawnSync('npx', ['--no-install', 'novation-risk', ...args], {
    cwd: workspaceRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('npx novation-risk (the built binary)', () => {
  it('prints help', () => {
    const result = novationRisk(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/margin replication kit/);
  });

  it('exits non-zero with a JSON error on an unknown command', () => {
    const result = novationRisk(['no-such-command']);
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stderr)).toMatchObject({ error: { code: 'UNKNOWN_COMMAND' } });
  });

  it.each([
    'price',
    'implied-vol',
    'margin',
    'replay',
    'stress',
    'max-size',
    'var',
    'backtest',
    'liquidation-price',
    'receipt-hash',
  ])('runs %s on its example file', (command) => {
    const result = novationRisk([command, '--input', `apps/risk-cli/examples/${command}.json`]);
    expect(result.stderr).not.toMatch(/"error"/);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toBeInstanceOf(Object);
  });

  it('reads stdin and names the malformed field with exit code 2', () => {
    const result = spawnSync('npx', ['--no-install', 'novation-risk', 'var'], {
      cwd: workspaceRoot,
      encoding: 'utf8',
      timeout: 120_000,
      input: JSON.stringify({ pnl: [1, 2], confidence: 'high' }),
    });
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stderr)).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'confidence' } });
  });
});
