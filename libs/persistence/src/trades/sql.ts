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

/** Elements that PostgreSQL's array input reads as written: uuids, decimal and integer text, codes, keys. */
const PLAIN_ELEMENT = /^[0-9A-Za-z._:-]+$/;

/**
 * A one-dimensional array parameter as PostgreSQL array text (`{a,b,NULL}`) when every element is plain,
 * else the array itself for the driver to quote. The driver quotes and escapes every element of every
 * array (two regular-expression passes each); for the uuid, amount and id columns of a batch, ~10,000
 * elements, joining is several times cheaper. `NULL` unquoted is SQL null, so the word itself is never
 * written plain.
 */
export function arrayParameter(values: readonly (string | null)[]): string | readonly (string | null)[] {
  let text = '{';
  for (let index = 0; index < values.length; index += 1) {
    const value = values[index];
    if (value === null || value === undefined) {
      text += index === 0 ? 'NULL' : ',NULL';
      continue;
    }
    if (!PLAIN_ELEMENT.test(value) || (value.length === 4 && value.toLowerCase() === 'null')) return values;
    text += index === 0 ? value : `,${value}`;
  }
  return `${text}}`;
}
