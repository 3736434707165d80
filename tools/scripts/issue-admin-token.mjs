// npm run admin-token -- --subject alice --role risk-officer [--role auditor] [--ttl 8h]
// Prints a signed admin-service JWT on stdout (nothing else), with the secret, issuer, audience and
// longest lifetime of the validated environment: the same configuration the admin service verifies with.
// Bootstrap only: whoever can run this holds ADMIN_TOKEN_SECRET and can mint any role.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { workspaceRoot } from './lib/workspace.mjs';

const USAGE = 'usage: npm run admin-token -- --subject <name> --role <risk-officer|operations|auditor> [--ttl 8h]';
const TTL_UNITS_SECONDS = { s: 1, m: 60, h: 3_600 };

function fail(message) {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

/** "90s", "30m", "8h" or a number of seconds. */
function parseTtlSeconds(text) {
  const match = /^(\d{1,6})([smh]?)$/.exec(text);
  if (match === null) fail(`--ttl: expected e.g. 30m or 8h, got ${text}`);
  return Number(match[1]) * TTL_UNITS_SECONDS[match[2] === '' ? 's' : match[2]];
}

/** Compiles into dist/ with the compiler's output on stderr, so stdout carries the token alone. */
function build() {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(workspaceRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      { cwd: workspaceRoot, stdio: ['ignore', 2, 2] },
    );
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc exited with ${code}`))));
  });
}

let options;
try {
  options = parseArgs({
    options: {
      subject: { type: 'string' },
      role: { type: 'string', multiple: true },
      ttl: { type: 'string', default: '8h' },
      'skip-build': { type: 'boolean', default: false },
    },
    strict: true,
  }).values;
} catch (error) {
  fail(error.message);
}
if (options.subject === undefined) fail('--subject is required');
if (options.role === undefined || options.role.length === 0) fail('--role is required');

if (!options['skip-build']) await build();
await import(pathToFileURL(path.join(workspaceRoot, 'tools/runtime/register.mjs')).href);
const { loadConfig, ConfigError } = await import('@novation/config');
const { issueAdminToken } = await import(
  pathToFileURL(path.join(workspaceRoot, 'dist/apps/admin/src/auth/admin-token.js')).href
);

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
try {
  const token = await issueAdminToken(config.adminToken, {
    subject: options.subject,
    roles: options.role,
    ttlSeconds: parseTtlSeconds(options.ttl),
    nowEpochMs: Date.now(),
  });
  process.stdout.write(`${token}\n`);
} catch (error) {
  if (error instanceof RangeError) fail(error.message);
  throw error;
}
