export { ApiKeyError } from './api-key-error.js';
export type { ApiKeyErrorCode } from './api-key-error.js';
export {
  API_KEY_LABEL_LENGTH_MAX,
  API_KEY_ROLES,
  generateApiKey,
  hashApiKeySecret,
  issueApiKey,
  issueApiKeyByCode,
  parseApiKey,
  revokeApiKey,
  rotateApiKey,
  secretMatches,
} from './api-keys.js';
export type { GeneratedApiKey, IssueApiKeyByCodeRequest, IssueApiKeyRequest, IssuedApiKey } from './api-keys.js';
