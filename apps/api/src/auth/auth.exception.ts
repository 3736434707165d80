export type AuthExceptionCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'INVALID_API_KEY_REQUEST' | 'UNKNOWN_API_KEY';

/** Authentication and API key errors; the GraphQL error mapper turns the code into `extensions.code`. */
export class AuthException extends Error {
  constructor(
    readonly code: AuthExceptionCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AuthException';
  }
}
