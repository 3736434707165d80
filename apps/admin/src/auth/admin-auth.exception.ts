import { HttpStatus } from '@nestjs/common';

/** Why a request was refused before it reached a controller. */
export type AdminAuthExceptionCode =
  | 'MISSING_TOKEN'
  | 'MALFORMED_TOKEN'
  | 'MEMBER_API_KEY_REFUSED'
  | 'UNSUPPORTED_ALGORITHM'
  | 'INVALID_SIGNATURE'
  | 'TOKEN_EXPIRED'
  | 'WRONG_ISSUER'
  | 'WRONG_AUDIENCE'
  | 'INVALID_CLAIMS'
  | 'TOKEN_LIFETIME_TOO_LONG'
  | 'FORBIDDEN_ROLE';

export class AdminAuthException extends Error {
  constructor(
    readonly code: AdminAuthExceptionCode,
    message: string,
  ) {
    super(message);
    this.name = 'AdminAuthException';
  }
}

/** The one place auth codes become HTTP statuses; the switch is exhaustive, so a new code must be mapped. */
export function httpStatusOfAdminAuthCode(code: AdminAuthExceptionCode): HttpStatus {
  switch (code) {
    case 'MISSING_TOKEN':
    case 'MALFORMED_TOKEN':
    case 'MEMBER_API_KEY_REFUSED':
    case 'UNSUPPORTED_ALGORITHM':
    case 'INVALID_SIGNATURE':
    case 'TOKEN_EXPIRED':
    case 'WRONG_ISSUER':
    case 'WRONG_AUDIENCE':
    case 'INVALID_CLAIMS':
    case 'TOKEN_LIFETIME_TOO_LONG':
      return HttpStatus.UNAUTHORIZED;
    case 'FORBIDDEN_ROLE':
      return HttpStatus.FORBIDDEN;
  }
}
