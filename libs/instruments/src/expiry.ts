import { InstrumentError } from './instrument-error.js';

/** Milliseconds in a 365-day year: time to expiry is measured ACT/365 in calendar time. */
export const MILLISECONDS_PER_YEAR = 365 * 24 * 60 * 60 * 1000;

/** ISO-8601 instant in UTC with an explicit 'Z', e.g. '2025-03-28T08:00:00Z' or '2025-03-28T08:00:00.000Z'. */
const ISO_UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

/**
 * Converts an expiry given as an ISO-8601 UTC instant to epoch milliseconds. Only the explicit UTC form is
 * accepted: a date without a zone would be read in the process's local time, and an expiry must not move
 * with the machine that reads it.
 */
export function parseExpiryIso(expiryIso: string): number {
  const epochMs = ISO_UTC_INSTANT.test(expiryIso) ? Date.parse(expiryIso) : Number.NaN;
  // Date.parse rolls impossible dates over (February 30 becomes March 2); a round trip catches them.
  const isRealDate =
    Number.isSafeInteger(epochMs) && new Date(epochMs).toISOString().slice(0, 19) === expiryIso.slice(0, 19);
  if (!isRealDate) {
    throw new InstrumentError(
      'INVALID_EXPIRY',
      `expected an ISO-8601 UTC instant like 2025-03-28T08:00:00Z, got ${expiryIso}`,
    );
  }
  return epochMs;
}

/**
 * Years from `nowEpochMs` to `expiryEpochMs` (ACT/365), never negative: an expired contract has 0 left.
 * The caller passes the current time; this library never reads a clock.
 */
export function timeToExpiryYears(expiryEpochMs: number, nowEpochMs: number): number {
  if (!Number.isSafeInteger(expiryEpochMs) || !Number.isSafeInteger(nowEpochMs)) {
    throw new InstrumentError('INVALID_EXPIRY', 'expiryEpochMs and nowEpochMs must be integer epoch milliseconds');
  }
  return Math.max(expiryEpochMs - nowEpochMs, 0) / MILLISECONDS_PER_YEAR;
}
