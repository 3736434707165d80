import { runCli } from './cli.js';

function capture(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = runCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

describe('novation-risk', () => {
  it('prints help with examples', () => {
    const { code, stdout } = capture(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/novation-risk/);
    expect(stdout).toMatch(/Examples:/);
  });

  it('prints its version', () => {
    expect(capture(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('answers an unknown command with a JSON error and exit code 2', () => {
    const { code, stderr } = capture(['frobnicate']);
    expect(code).toBe(2);
    expect(JSON.parse(stderr)).toEqual({
      error: { code: 'UNKNOWN_COMMAND', message: expect.stringMatching(/frobnicate/) },
    });
  });

  it('answers an unknown option with a JSON error', () => {
    const { code, stderr } = capture(['--nope']);
    expect(code).toBe(2);
    expect(JSON.parse(stderr).error.code).toBe('INVALID_ARGUMENTS');
  });
});
