import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reference data the admin service maintains:
 * - asset.price_index / asset.price_source: the index (index_price.underlying) that values an asset and the
 *   feed expected to publish it (index_price.source). Both null for an asset not yet priced; a
 *   USD-pegged settlement asset names its own peg index. Margin still takes its valuation map from the
 *   risk parameter set (assetIndex); these columns record the operational source admins maintain.
 * - default_fund_contribution: which member firm a posting on the pooled 'default_fund' house account
 *   belongs to. The money is in the ledger (one house account, balances from postings); this table only
 *   tags postings, so a member's contribution is the sum of its tagged postings, exact and auditable.
 *   A waterfall that consumes a member's share posts a negative amount on the same account and tags it.
 */
export class AdminReferenceData1795750000000 implements MigrationInterface {
  name = 'AdminReferenceData1795750000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE asset
        ADD COLUMN price_index varchar(32) CHECK (price_index ~ '^[A-Z0-9]{1,15}-[A-Z0-9]{1,15}$'),
        ADD COLUMN price_source varchar(64) CHECK (length(price_source) > 0),
        ADD CONSTRAINT asset_price_source_with_index CHECK ((price_index IS NULL) = (price_source IS NULL))`);
    await queryRunner.query(`
      CREATE TABLE default_fund_contribution (
        posting_id bigint PRIMARY KEY REFERENCES posting(id),
        member_firm_id uuid NOT NULL REFERENCES member_firm(id),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX default_fund_contribution_member ON default_fund_contribution (member_firm_id, posting_id)`,
    );
    // Tags are as permanent as the postings they name.
    await queryRunner.query(
      `CREATE TRIGGER default_fund_contribution_append_only BEFORE UPDATE OR DELETE ON default_fund_contribution
       FOR EACH ROW EXECUTE FUNCTION reject_ledger_change()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE default_fund_contribution');
    await queryRunner.query(`
      ALTER TABLE asset
        DROP CONSTRAINT asset_price_source_with_index,
        DROP COLUMN price_source,
        DROP COLUMN price_index`);
  }
}
