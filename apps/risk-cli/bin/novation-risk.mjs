#!/usr/bin/env node
// `npx novation-risk` from the repository root: runs the compiled CLI when it has been built
// (npm start and npm run build do it), otherwise builds it first, so a user never needs a build step.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const workspaceRoot = fileURLToPath(new URL('../../../', import.meta.url));
const compiledMain = new URL('../../../dist/apps/risk-cli/src/main.js', import.meta.url);
if (!existsSync(compiledMain)) {
  execFileSync(
    process.execPath,
    [new URL('../../../node_modules/typescript/bin/tsc', import.meta.url).pathname, '-p', 'tsconfig.build.json'],
    {
      cwd: workspaceRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}
await import(new URL('../../../tools/runtime/register.mjs', import.meta.url).href);
await import(compiledMain.href);
