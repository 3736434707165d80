export { cloneTestDatabase, createTestDatabase, testConfig, uniqueQueuePrefix } from './database.js';
export type { TestDatabase } from './database.js';
export { deleteQueueKeys } from './redis.js';
