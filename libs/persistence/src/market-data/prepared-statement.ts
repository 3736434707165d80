import type { ClientBase } from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';

/**
 * A statement of the tick-to-enqueue path (publish, record the margin checks, claim them). TypeORM sends
 * every query as an unnamed statement, which PostgreSQL parses and plans at each call: 0.3-0.5 ms for the
 * slice-recording statement on this machine, paid on every tick. Run by name, a statement is prepared once
 * per pooled connection and, after a few executions, runs on its cached generic plan.
 */
export interface PreparedStatement {
  /** Unique per text: node-postgres refuses one name for two texts on a connection. */
  readonly name: string;
  readonly text: string;
}

/** Runs `statement` on the connection of `queryRunner` (the transaction's, inside one) and returns its rows. */
export async function queryPrepared<Row>(
  queryRunner: QueryRunner,
  statement: PreparedStatement,
  values: readonly unknown[],
): Promise<Row[]> {
  // PostgresQueryRunner.connect() resolves to its node-postgres client (the same one when already connected).
  const client = (await queryRunner.connect()) as ClientBase;
  const result = await client.query<Row & Record<string, unknown>>({
    name: statement.name,
    text: statement.text,
    values: [...values],
  });
  return result.rows;
}

/** Runs `statement` outside any transaction (its own, committed when it ends) on a pooled connection. */
export async function queryPreparedAutocommit<Row>(
  dataSource: DataSource,
  statement: PreparedStatement,
  values: readonly unknown[],
): Promise<Row[]> {
  const queryRunner = dataSource.createQueryRunner();
  try {
    return await queryPrepared<Row>(queryRunner, statement, values);
  } finally {
    await queryRunner.release();
  }
}
