import { captureCli as capture } from '../test/capture.js';

describe('novation-risk', () => {
  it('prints help with examples and every command', async () => {
    const { code, stdout } = await capture(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/novation-risk/);
    expect(stdout).toMatch(/Examples:/);
    for (const name of [
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
    ]) {
      expect(stdout).toContain(name);
    }
  });

  it('prints its version', async () => {
    expect((await capture(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('answers an unknown command with a JSON error and exit code 2', async () => {
    const { code, stderr } = await capture(['frobnicate']);
    expect(code).toBe(2);
    expect(JSON.parse(stderr)).toEqual({
      error: { code: 'UNKNOWN_COMMAND', message: expect.stringMatching(/frobnicate/) },
    });
  });

  it('answers an unknown option with a JSON error', async () => {
    const { code, stderr } = await capture(['--nope']);
    expect(code).toBe(2);
    expect(JSON.parse(stderr).error.code).toBe('INVALID_ARGUMENTS');
  });

  it('reads the input from --input', async () => {
    const { code, stdout } = await capture(['var', '--input', 'pnl.json'], '', {
      'pnl.json': '{"pnl":[-3,-2,-1,0,1],"confidence":0.8}',
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ valueAtRisk: 3 });
  });

  it('reports an unreadable input file', async () => {
    const { code, stderr } = await capture(['var', '--input', 'missing.json']);
    expect(code).toBe(2);
    expect(JSON.parse(stderr).error.code).toBe('INPUT_UNREADABLE');
  });

  it('reports input that is not JSON as INVALID_INPUT on the whole document', async () => {
    const { code, stderr } = await capture(['var'], '{not json');
    expect(code).toBe(2);
    expect(JSON.parse(stderr).error).toMatchObject({ code: 'INVALID_INPUT', field: '' });
  });

  it('prints a command schema as JSON Schema', async () => {
    const { code, stdout } = await capture(['backtest', '--schema']);
    expect(code).toBe(0);
    const schema = JSON.parse(stdout);
    expect(schema).toMatchObject({ type: 'object', additionalProperties: false });
    expect(Object.keys(schema.properties)).toEqual(['margins', 'losses', 'confidence']);
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
  ])('prints a JSON Schema for %s', async (name) => {
    const { code, stdout } = await capture([name, '--schema']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toHaveProperty('$schema');
  });
});
