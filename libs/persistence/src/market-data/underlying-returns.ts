import type { EntityManager } from 'typeorm';
import { MarketDataError } from './market-data-error.js';
import { assertUnderlying } from './validation.js';

/** Most returns in one call: a bound on one statement. */
export const UNDERLYING_RETURNS_PER_CALL_MAX = 10_000;

/** Log returns are stored in (-10, 10) (the column's check): anything outside is a data error. */
const LOG_RETURN_MAGNITUDE_LIMIT = 10;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface UnderlyingReturnInput {
  /** 'YYYY-MM-DD'. */
  readonly day: string;
  /** Daily log return, a finite float64 in (-10, 10): a risk-model input, not money. */
  readonly logReturn: number;
}

export interface UnderlyingReturnsBatch {
  readonly underlying: string;
  readonly returns: readonly UnderlyingReturnInput[];
  /** True for the stressed-period series (anti-procyclicality floor). */
  readonly stressedPeriod: boolean;
}

/**
 * Upserts daily log returns of one underlying (a day already stored in the same series is overwritten).
 * Every item is validated before any write; one bad item refuses the whole call (MarketDataError
 * INVALID_RETURN), so a series is never half-loaded. One statement; runs in the caller's transaction.
 */
export async function recordUnderlyingReturns(
  manager: EntityManager,
  batch: UnderlyingReturnsBatch,
): Promise<{ readonly upserted: number }> {
  assertUnderlying(batch.underlying, 'underlying');
  if (typeof batch.stressedPeriod !== 'boolean') {
    throw new MarketDataError('INVALID_RETURN', 'stressedPeriod', 'must be a boolean');
  }
  if (batch.returns.length > UNDERLYING_RETURNS_PER_CALL_MAX) {
    throw new MarketDataError('INVALID_RETURN', 'returns', `has more than ${UNDERLYING_RETURNS_PER_CALL_MAX} items`);
  }
  const seen = new Set<string>();
  batch.returns.forEach((item, index) => {
    if (!isCalendarDate(item.day)) {
      throw new MarketDataError('INVALID_RETURN', `returns[${index}].day`, 'must be a calendar date YYYY-MM-DD');
    }
    if (seen.has(item.day)) throw new MarketDataError('INVALID_RETURN', `returns[${index}].day`, 'appears twice');
    seen.add(item.day);
    const value = item.logReturn;
    if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) >= LOG_RETURN_MAGNITUDE_LIMIT) {
      throw new MarketDataError('INVALID_RETURN', `returns[${index}].logReturn`, 'must be finite in (-10, 10)');
    }
  });
  if (batch.returns.length === 0) return { upserted: 0 };
  await manager.query(
    `INSERT INTO underlying_return (underlying, day, log_return, stressed_period)
     SELECT $1, day, log_return, $4 FROM unnest($2::date[], $3::double precision[]) AS item(day, log_return)
     ON CONFLICT (underlying, day, stressed_period) DO UPDATE SET log_return = EXCLUDED.log_return`,
    [
      batch.underlying,
      batch.returns.map((item) => item.day),
      batch.returns.map((item) => item.logReturn),
      batch.stressedPeriod,
    ],
  );
  return { upserted: batch.returns.length };
}

function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = ISO_DATE.exec(value);
  return (
    match !== null &&
    new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))).toISOString().slice(0, 10) === value
  );
}
