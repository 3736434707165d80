// Workspace helpers for npm start / npm test. Plain Node (no dependencies) so they run on a fresh clone
// before `npm install` has happened.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function log(message) {
  process.stdout.write(`[novation] ${message}\n`);
}

/** Runs a command with inherited output; resolves on exit 0, rejects otherwise. */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: workspaceRoot, stdio: 'inherit', ...options });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}`)),
    );
  });
}

/**
 * Installs dependencies when node_modules is missing or older than the lockfile. `npm install` from the
 * committed lockfile, not `npm ci`: on this registry `npm ci` rejects lockfiles made here (see README).
 */
export async function ensureInstalled() {
  const installedMarker = path.join(workspaceRoot, 'node_modules/.package-lock.json');
  const lockfile = path.join(workspaceRoot, 'package-lock.json');
  const manifest = path.join(workspaceRoot, 'package.json');
  const stale =
    !existsSync(installedMarker) ||
    statSync(installedMarker).mtimeMs < Math.max(statSync(lockfile).mtimeMs, statSync(manifest).mtimeMs);
  if (!stale) return;
  log('installing dependencies (npm install from the committed lockfile)');
  await run('npm', ['install', '--no-audit', '--no-fund']);
}

/** Compiles apps and libs into dist/ (incremental). */
export async function build() {
  log('building (tsc -p tsconfig.build.json)');
  await run(process.execPath, [
    path.join(workspaceRoot, 'node_modules/typescript/bin/tsc'),
    '-p',
    'tsconfig.build.json',
  ]);
}
