import type { EntityManager } from 'typeorm';

export interface SqlResult<Row> {
  readonly records: Row[];
  readonly affected: number;
}

/**
 * Runs one statement on the manager's own connection (the transaction's, inside `dataSource.transaction`)
 * and returns its rows and affected-row count, whatever the statement kind.
 */
export async function runQuery<Row = Record<string, unknown>>(
  manager: EntityManager,
  sql: string,
  parameters: readonly unknown[] = [],
): Promise<SqlResult<Row>> {
  const runner = manager.queryRunner;
  if (runner === undefined) throw new Error('runQuery needs a transactional EntityManager');
  const result = await runner.query(sql, [...parameters], true);
  return { records: (result.records ?? []) as Row[], affected: result.affected ?? 0 };
}

/** The value, or an Error naming what was missing: for lookups that cannot fail unless the code is wrong. */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`internal: ${what} is missing`);
  return value;
}
