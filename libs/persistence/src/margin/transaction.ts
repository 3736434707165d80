import type { DataSource, EntityManager } from 'typeorm';
import { AccountEntity } from '../entities/membership.entity.js';

/** SQLSTATEs after which the whole transaction may simply be run again. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

export interface TransactionRetryOptions {
  /** Attempts in all, the first included (default 5). */
  readonly attempts?: number;
  /** Base back-off in milliseconds, doubled per attempt, with full jitter (default 5). */
  readonly backoffMs?: number;
}

/** True for a serialization failure (40001) or a deadlock (40P01), however TypeORM wrapped it. */
export function isRetryableTransactionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && RETRYABLE_SQLSTATES.has(code)) return true;
  const driverError = (error as { driverError?: unknown }).driverError;
  return driverError !== undefined && driverError !== error && isRetryableTransactionError(driverError);
}

/**
 * Runs `work` in one READ COMMITTED transaction, again (a bounded number of times) when PostgreSQL
 * aborts it with a serialization failure or a deadlock. `work` must have no effect outside the
 * transaction, so running it again is safe. Any other error, or the last retryable one, is rethrown.
 */
export async function inTransactionWithRetry<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
  options: TransactionRetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const backoffMs = options.backoffMs ?? 5;
  for (let attempt = 1; ; attempt += 1) {
    try {
      // READ COMMITTED is every connection's default (data-source.ts): no SET TRANSACTION round trip.
      return await dataSource.transaction(work);
    } catch (error) {
      if (attempt >= attempts || !isRetryableTransactionError(error)) throw error;
      const delay = Math.random() * backoffMs * 2 ** (attempt - 1);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * Locks account rows with one SELECT ... ORDER BY id FOR UPDATE (rows are locked in the order sorted, so two
 * transactions locking the same accounts cannot deadlock), and returns them by id in id order. Missing ids
 * are simply absent from the map.
 */
export async function lockAccounts(
  manager: EntityManager,
  accountIds: readonly string[],
): Promise<Map<string, AccountEntity>> {
  const ids = [...new Set(accountIds)];
  if (ids.length === 0) return new Map();
  const rows = await manager
    .createQueryBuilder(AccountEntity, 'account')
    .setLock('pessimistic_write')
    .where('account.id IN (:...ids)', { ids })
    .orderBy('account.id', 'ASC')
    .getMany();
  return new Map(rows.map((account) => [account.id, account]));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a syntactically valid uuid: anything else can name no account (and would fail the SQL cast). */
export function isUuid(text: unknown): text is string {
  return typeof text === 'string' && UUID.test(text);
}
