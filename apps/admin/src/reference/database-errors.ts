import { QueryFailedError } from 'typeorm';

/** PostgreSQL unique_violation: the loser of a race on a natural key (the check before it saw nothing). */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError: unknown = error.driverError;
  return typeof driverError === 'object' && driverError !== null && Reflect.get(driverError, 'code') === '23505';
}
