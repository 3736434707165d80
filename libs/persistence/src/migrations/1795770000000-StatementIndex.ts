import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for account statements (the member API's `statement`), newest first in ledger order:
 * - posting (account_id, id DESC) INCLUDE (asset, amount, journal_entry_id): a page of any asset is a
 *   backward index walk that stops after the page, instead of reading every posting of the account and
 *   sorting them;
 * - posting (account_id, asset, id DESC) INCLUDE (amount): the same for one asset, and an index-only scan
 *   for the running balance (sum of the postings before a page). It covers what posting_account_asset
 *   (account_id, asset) served (its prefix, e.g. the account_balance view's sums), so that one is dropped:
 *   postings are the hottest insert path, and each index costs every trade a write.
 * Plain CREATE INDEX (not CONCURRENTLY): migrations run in a transaction; on a large live ledger, build
 * these by hand with CONCURRENTLY first (the IF NOT EXISTS makes this migration a no-op then).
 */
export class StatementIndex1795770000000 implements MigrationInterface {
  name = 'StatementIndex1795770000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS posting_account_statement ON posting (account_id, id DESC) INCLUDE (asset, amount, journal_entry_id)`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS posting_account_asset_statement ON posting (account_id, asset, id DESC) INCLUDE (amount)`,
    );
    await queryRunner.query(`DROP INDEX IF EXISTS posting_account_asset`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS posting_account_asset ON posting (account_id, asset)`);
    await queryRunner.query(`DROP INDEX IF EXISTS posting_account_asset_statement`);
    await queryRunner.query(`DROP INDEX IF EXISTS posting_account_statement`);
  }
}
