// Shared jest settings for the three test tiers (unit, integration, e2e). The workspace is ESM
// (NestJS 12 ships only ES modules), so jest runs with --experimental-vm-modules and ts-jest in ESM
// mode; isolatedModules makes ts-jest transpile only, so `npm run typecheck` is the type gate.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** ES-module-only packages that a CommonJS dependency require()s; compiled to CommonJS for jest. */
const REQUIRED_ESM_PACKAGES = ['content-disposition'];

export const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** @param {{ displayName: string, suffix: string, maxWorkers?: number | string, testTimeout: number, setupFiles?: string[] }} tier */
export function tierConfig(tier) {
  return {
    rootDir,
    displayName: tier.displayName,
    testEnvironment: 'node',
    roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
    testMatch: [`**/*.${tier.suffix}.ts`],
    testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
      '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.spec.json' }],
      [`/node_modules/(?:.*/node_modules/)?(?:${REQUIRED_ESM_PACKAGES.join('|')})/.+\\.js$`]:
        '<rootDir>/tools/jest/esm-to-commonjs.cjs',
    },
    transformIgnorePatterns: [`/node_modules/(?!(?:.*/node_modules/)?(?:${REQUIRED_ESM_PACKAGES.join('|')})/)`],
    moduleNameMapper: {
      '^@novation/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    setupFiles: ['<rootDir>/tools/jest/setup-env.mjs', ...(tier.setupFiles ?? [])],
    testTimeout: tier.testTimeout,
    maxWorkers: tier.maxWorkers ?? '50%',
    // Explicit: a test that leaves a handle open should be found and fixed, not hidden by --forceExit.
    detectOpenHandles: false,
  };
}
