import { tierConfig } from './tools/jest/preset.mjs';

// Boots real apps and calls them over HTTP.
export default tierConfig({ displayName: 'e2e', suffix: 'e2e-spec', testTimeout: 120_000, maxWorkers: 2 });
