export type ApiKeyErrorCode = 'INVALID_API_KEY_REQUEST' | 'UNKNOWN_API_KEY';

/**
 * A refused key request, with the field at fault. Each app translates it once: the member API into a
 * GraphQL error, the admin service into its HTTP error body.
 */
export class ApiKeyError extends Error {
  constructor(
    readonly code: ApiKeyErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiKeyError';
  }
}
