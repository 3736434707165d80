import { HttpStatus } from '@nestjs/common';

/**
 * Why a reference-data, API-key or default-resource request was refused. One code set for the three
 * features (they share the validation pipe and the error body), mapped to HTTP once, below.
 */
export type ReferenceDataExceptionCode =
  | 'INVALID_REQUEST'
  | 'INVALID_INSTRUMENT'
  | 'INVALID_AMOUNT'
  | 'INVALID_API_KEY_REQUEST'
  | 'INSTRUMENT_NOT_FOUND'
  | 'ASSET_NOT_FOUND'
  | 'MEMBER_FIRM_NOT_FOUND'
  | 'VENUE_NOT_FOUND'
  | 'API_KEY_NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'INSTRUMENT_ALREADY_EXPIRED'
  | 'INVALID_TRANSITION'
  | 'OPEN_POSITIONS'
  | 'NOT_YET_EXPIRED'
  | 'MEMBER_FIRM_NOT_ACTIVE'
  | 'API_KEY_NOT_ACTIVE'
  | 'IDEMPOTENCY_CONFLICT'
  | 'INSUFFICIENT_FUNDS'
  | 'HOUSE_ACCOUNT_MISSING';

export interface FieldViolation {
  readonly field: string;
  readonly message: string;
}

export class ReferenceDataException extends Error {
  constructor(
    readonly code: ReferenceDataExceptionCode,
    message: string,
    readonly violations: readonly FieldViolation[] = [],
  ) {
    super(message);
    this.name = 'ReferenceDataException';
  }
}

/** The one place these codes become HTTP statuses; exhaustive, so a new code must be mapped. */
export function httpStatusOfReferenceDataCode(code: ReferenceDataExceptionCode): HttpStatus {
  switch (code) {
    case 'INVALID_REQUEST':
    case 'INVALID_INSTRUMENT':
    case 'INVALID_AMOUNT':
    case 'INVALID_API_KEY_REQUEST':
      return HttpStatus.BAD_REQUEST;
    case 'INSTRUMENT_NOT_FOUND':
    case 'ASSET_NOT_FOUND':
    case 'MEMBER_FIRM_NOT_FOUND':
    case 'VENUE_NOT_FOUND':
    case 'API_KEY_NOT_FOUND':
      return HttpStatus.NOT_FOUND;
    case 'ALREADY_EXISTS':
    case 'INSTRUMENT_ALREADY_EXPIRED':
    case 'INVALID_TRANSITION':
    case 'OPEN_POSITIONS':
    case 'NOT_YET_EXPIRED':
    case 'MEMBER_FIRM_NOT_ACTIVE':
    case 'API_KEY_NOT_ACTIVE':
    case 'IDEMPOTENCY_CONFLICT':
    case 'INSUFFICIENT_FUNDS':
      return HttpStatus.CONFLICT;
    case 'HOUSE_ACCOUNT_MISSING':
      return HttpStatus.INTERNAL_SERVER_ERROR;
  }
}

/** A refusal naming one field. */
export function fieldException(
  code: ReferenceDataExceptionCode,
  field: string,
  message: string,
): ReferenceDataException {
  return new ReferenceDataException(code, `${field} ${message}`, [{ field, message }]);
}
