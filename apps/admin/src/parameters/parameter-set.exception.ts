import { HttpStatus } from '@nestjs/common';

export type ParameterSetExceptionCode =
  | 'INVALID_REQUEST'
  | 'INVALID_PARAMETER_SET'
  | 'PARAMETER_SET_NOT_FOUND'
  | 'VERSION_TAKEN'
  | 'INVALID_TRANSITION'
  | 'FOUR_EYES_VIOLATION'
  | 'INVALID_EFFECTIVE_FROM'
  | 'NO_ACTIVE_PARAMETER_SET'
  | 'NOTHING_TO_ROLL_BACK'
  | 'ROLLBACK_CONFLICT'
  | 'ALREADY_IN_EFFECT'
  | 'PHASE_IN_STRUCTURE_MISMATCH'
  | 'PHASE_IN_CONFLICT';

/** One field of a request or parameter set that is wrong, and why. */
export interface FieldViolation {
  readonly field: string;
  readonly message: string;
}

export class ParameterSetException extends Error {
  constructor(
    readonly code: ParameterSetExceptionCode,
    message: string,
    readonly violations: readonly FieldViolation[] = [],
  ) {
    super(message);
    this.name = 'ParameterSetException';
  }
}

/** The one place parameter-set codes become HTTP statuses; exhaustive, so a new code must be mapped. */
export function httpStatusOfParameterSetCode(code: ParameterSetExceptionCode): HttpStatus {
  switch (code) {
    case 'INVALID_REQUEST':
    case 'INVALID_PARAMETER_SET':
    case 'INVALID_EFFECTIVE_FROM':
      return HttpStatus.BAD_REQUEST;
    case 'FOUR_EYES_VIOLATION':
      return HttpStatus.FORBIDDEN;
    case 'PARAMETER_SET_NOT_FOUND':
      return HttpStatus.NOT_FOUND;
    case 'VERSION_TAKEN':
    case 'INVALID_TRANSITION':
    case 'NO_ACTIVE_PARAMETER_SET':
    case 'NOTHING_TO_ROLL_BACK':
    case 'ROLLBACK_CONFLICT':
    case 'ALREADY_IN_EFFECT':
    case 'PHASE_IN_STRUCTURE_MISMATCH':
    case 'PHASE_IN_CONFLICT':
      return HttpStatus.CONFLICT;
  }
}
