import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

// Proves the dependency rule is enforced, not only declared: lint deliberate violations as if they were
// files inside the workspace and expect @nx/enforce-module-boundaries to fail them.
const workspaceRoot = fileURLToPath(new URL('../..', import.meta.url));

async function boundaryErrors(filePath: string, source: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: workspaceRoot });
  const [result] = await eslint.lintText(source, { filePath: `${workspaceRoot}/${filePath}` });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === '@nx/enforce-module-boundaries')
    .map((message) => message.message);
}

describe('module boundaries (lint)', () => {
  beforeAll(() => {
    // The rule reads Nx's project graph; computing it once makes the rule run instead of skipping.
    execFileSync(process.execPath, [`${workspaceRoot}/node_modules/nx/dist/bin/nx.js`, 'show', 'projects'], {
      cwd: workspaceRoot,
      stdio: 'ignore',
    });
  }, 60_000);

  it.each([
    [
      'libs/risk/src/__fixtures__/violation.ts',
      "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n",
    ],
    [
      'libs/money/src/__fixtures__/violation.ts',
      "import { DataSource } from 'typeorm';\nexport const x = DataSource;\n",
    ],
    ['libs/clearing/src/__fixtures__/violation.ts', "import { Queue } from 'bullmq';\nexport const x = Queue;\n"],
    ['libs/instruments/src/__fixtures__/violation.ts', "import { Redis } from 'ioredis';\nexport const x = Redis;\n"],
    ['libs/risk/src/__fixtures__/violation.ts', "import pg from 'pg';\nexport const x = pg;\n"],
  ])(
    'fails a pure lib (%s) importing infrastructure',
    async (filePath, source) => {
      const errors = await boundaryErrors(filePath, source);
      const importedPackage = /from '([^']+)'/.exec(source)?.[1];
      expect(errors).toContain(`A project tagged with "type:domain" is not allowed to import "${importedPackage}"`);
    },
    60_000,
  );

  it('fails a domain lib importing a data-access lib', async () => {
    const errors = await boundaryErrors(
      'libs/risk/src/__fixtures__/violation.ts',
      "import { PersistenceModule } from '@novation/persistence';\nexport const x = PersistenceModule;\n",
    );
    // persistence depends on every domain lib, so the rule may report the cycle this import would close
    // before it reports the tag: either refusal is the rule firing.
    expect(errors.join('\n')).toMatch(
      /"type:domain" can only depend on libs tagged with "type:domain", "type:util"|Circular dependency between "risk" and "persistence"/,
    );
  }, 60_000);

  it('accepts a pure lib importing another pure lib', async () => {
    const errors = await boundaryErrors(
      'libs/risk/src/__fixtures__/allowed.ts',
      "import { Decimal } from '@novation/money';\nexport const x = Decimal;\n",
    );
    expect(errors).toEqual([]);
  }, 60_000);
});
