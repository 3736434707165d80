import { readFileSync } from 'node:fs';
import { NOVATION_VERSION } from './index.js';

describe('NOVATION_VERSION', () => {
  it('matches the workspace package.json', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(NOVATION_VERSION).toBe(manifest.version);
  });
});
