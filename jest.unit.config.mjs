import { tierConfig } from './tools/jest/preset.mjs';

// Pure tests beside the code; no services.
export default tierConfig({ displayName: 'unit', suffix: 'spec', testTimeout: 30_000 });
