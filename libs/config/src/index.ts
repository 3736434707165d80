export { ConfigError, getConfig, loadConfig } from './config.js';
export type { NovationConfig } from './config.js';
export { environmentSchema } from './schema.js';
export type { Environment } from './schema.js';
export { NOVATION_VERSION } from './version.js';
