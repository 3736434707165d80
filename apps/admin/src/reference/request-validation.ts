import { ParseUUIDPipe, ValidationPipe, type ValidationError } from '@nestjs/common';
import { ReferenceDataException, type FieldViolation } from './reference-data.exception.js';

/** class-validator at the boundary: unknown fields are refused, every violation listed as INVALID_REQUEST. */
export const requestValidation = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  stopAtFirstError: false,
  exceptionFactory: (errors: ValidationError[]) =>
    new ReferenceDataException('INVALID_REQUEST', 'invalid request', violationsOf(errors, '')),
});

/** Path ids are UUIDs (any version: gen_random_uuid gives v4, but nothing should depend on it). */
export const uuidParam = new ParseUUIDPipe({
  exceptionFactory: () =>
    new ReferenceDataException('INVALID_REQUEST', 'id must be a UUID', [{ field: 'id', message: 'must be a UUID' }]),
});

function violationsOf(errors: readonly ValidationError[], prefix: string): FieldViolation[] {
  return errors.flatMap((error) => {
    const field = prefix === '' ? error.property : `${prefix}.${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...violationsOf(error.children ?? [], field)];
  });
}
