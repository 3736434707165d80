import { tierConfig } from './tools/jest/preset.mjs';

// Real PostgreSQL and Redis. Each file gets its own database and queue prefix, so files run in parallel.
export default tierConfig({
  displayName: 'integration',
  suffix: 'integration-spec',
  testTimeout: 120_000,
  maxWorkers: 2,
});
