import { HttpStatus } from '@nestjs/common';
import type { ReportErrorCode } from '@novation/persistence';

export type ReportExceptionCode =
  ReportErrorCode | 'INVALID_REQUEST' | 'REPORT_NOT_FOUND' | 'UNKNOWN_QUEUE' | 'QUEUE_UNAVAILABLE';

export interface ReportFieldViolation {
  readonly field: string;
  readonly message: string;
}

export class ReportException extends Error {
  constructor(
    readonly code: ReportExceptionCode,
    message: string,
    readonly violations: readonly ReportFieldViolation[] = [],
  ) {
    super(message);
    this.name = 'ReportException';
  }
}

/** The one place report codes become HTTP statuses; exhaustive, so a new code must be mapped. */
export function httpStatusOfReportCode(code: ReportExceptionCode): HttpStatus {
  switch (code) {
    case 'INVALID_REQUEST':
    case 'INVALID_BUSINESS_DATE':
    case 'INVALID_LOOKBACK':
    case 'INVALID_CONFIDENCE':
    case 'UNKNOWN_QUEUE':
      return HttpStatus.BAD_REQUEST;
    case 'REPORT_NOT_FOUND':
      return HttpStatus.NOT_FOUND;
    case 'NO_ACTIVE_PARAMETER_SET':
    case 'MISSING_MARKET_DATA':
    case 'RECOMPUTE_FAILED':
    case 'STRESS_TEST_FAILED':
      return HttpStatus.UNPROCESSABLE_ENTITY;
    case 'LIMIT_EXCEEDED':
      return HttpStatus.PAYLOAD_TOO_LARGE;
    case 'QUEUE_UNAVAILABLE':
      return HttpStatus.SERVICE_UNAVAILABLE;
  }
}
