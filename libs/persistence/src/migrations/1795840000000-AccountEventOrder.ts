import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Catch-up of account events that never misses a late commit. Event ids come from a sequence, taken at
 * insert, so a transaction that took a lower id can commit after one that took a higher id; a reader
 * resuming "after id N" then missed it. Each event now also records:
 * - `xact_id`: the id of the transaction that recorded it (pg_current_xact_id());
 * - `horizon`: the oldest transaction still running when it was recorded (the xmin of its snapshot):
 *   every event of a transaction below it had committed (or rolled back) before this one was recorded.
 * Catch-up reads in (xact_id, id) order and only events of transactions below the reading snapshot's xmin,
 * all of them finished, so nothing can later appear before a cursor it returned (account-events.ts). The
 * rows already stored get the migration's own transaction: to a reader they are one finished batch.
 */
export class AccountEventOrder1795840000000 implements MigrationInterface {
  name = 'AccountEventOrder1795840000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE account_event
        ADD COLUMN xact_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        ADD COLUMN horizon xid8 NOT NULL DEFAULT pg_snapshot_xmin(pg_current_snapshot())`);
    await queryRunner.query(
      `CREATE INDEX account_event_member_firm_order ON account_event (member_firm_id, xact_id, id)`,
    );
    await queryRunner.query(`CREATE INDEX account_event_account_order ON account_event (account_id, xact_id, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX account_event_account_order`);
    await queryRunner.query(`DROP INDEX account_event_member_firm_order`);
    await queryRunner.query(`ALTER TABLE account_event DROP COLUMN horizon, DROP COLUMN xact_id`);
  }
}
