import { MarketDataError } from './market-data-error.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Underlying index names as stored (varchar(32)), e.g. BTC-USD. */
const UNDERLYING = /^[A-Za-z0-9_.-]{1,32}$/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

export function isUnderlying(value: unknown): value is string {
  return typeof value === 'string' && UNDERLYING.test(value);
}

export function assertUnderlying(value: unknown, field: string): asserts value is string {
  if (!isUnderlying(value)) throw new MarketDataError('INVALID_UNDERLYING', field, 'must be 1..32 of [A-Za-z0-9_.-]');
}

export function assertNonNegativeSafeInteger(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new MarketDataError('INVALID_POLICY', field, 'must be a non-negative safe integer');
  }
}
