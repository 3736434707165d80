import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const workspaceRoot = fileURLToPath(new URL('../../..', import.meta.url));

interface PackedManifest {
  readonly private?: boolean;
  readonly bin?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
}

/** Every file under `directory`, recursively. */
function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const file = path.join(directory, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

// Packs the CLI as npm would publish it and runs it from a directory outside the repo, with only the
// packed dependencies available: it must need neither dist/, nor the loader hook, nor the workspace libs.
describe('the packed @novation/risk-cli tarball', () => {
  let directory: string;
  let packageRoot: string;
  let manifest: PackedManifest;

  beforeAll(() => {
    // --no-build: npm test builds before the e2e tier.
    const output = execFileSync(process.execPath, ['tools/scripts/pack-risk-cli.mjs', '--no-build'], {
      cwd: workspaceRoot,
      encoding: 'utf8',
    });
    const tarball = output.trim().split('\n').at(-1) ?? '';
    expect(tarball).toMatch(/\.tgz$/);
    directory = mkdtempSync(path.join(tmpdir(), 'novation-risk-cli-'));
    execFileSync('tar', ['-xzf', tarball, '-C', directory]);
    packageRoot = path.join(directory, 'package');
    manifest = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as PackedManifest;
    // What `npm install` would provide, without the network: the repo's copies of the declared dependencies.
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      const link = path.join(directory, 'node_modules', name);
      mkdirSync(path.dirname(link), { recursive: true });
      symlinkSync(path.join(workspaceRoot, 'node_modules', name), link, 'dir');
    }
  }, 120_000);

  afterAll(() => {
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  });

  function novationRisk(args: string[]) {
    return spawnSync(process.execPath, [path.join(packageRoot, 'bin/novation-risk.mjs'), ...args], {
      cwd: directory,
      encoding: 'utf8',
      timeout: 120_000,
    });
  }

  it('is publishable: not private, with a bin', () => {
    expect(manifest.private).toBeUndefined();
    expect(manifest.bin).toEqual({ 'novation-risk': 'bin/novation-risk.mjs' });
  });

  it('ships no @novation/ import (the workspace libs are inlined under lib/)', () => {
    const offenders = filesUnder(path.join(packageRoot, 'lib')).filter((file) =>
      readFileSync(file, 'utf8').includes('@novation/'),
    );
    expect(offenders).toEqual([]);
  });

  it('computes a margin receipt from its example file', () => {
    const result = novationRisk(['margin', '--input', path.join(packageRoot, 'examples/margin.json')]);
    expect(result.stderr).not.toMatch(/"error"/);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ inputsHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('replays its example receipt', () => {
    const result = novationRisk(['replay', '--input', path.join(packageRoot, 'examples/replay.json')]);
    expect(result.stderr).not.toMatch(/"error"/);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ match: true });
  });
});
