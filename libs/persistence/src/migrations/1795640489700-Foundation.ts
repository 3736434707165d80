import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Foundation schema: reference data (assets, venues, instruments), member firms and accounts, and the
 * double-entry ledger. Money columns are numeric(38,18). The ledger is append-only and balanced per
 * asset, both enforced here by the database, not only by application code.
 */
export class Foundation1795640489700 implements MigrationInterface {
  name = 'Foundation1795640489700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE asset (
        code varchar(16) PRIMARY KEY CHECK (code ~ '^[A-Z0-9]{2,16}$'),
        name text NOT NULL,
        scale smallint NOT NULL CHECK (scale BETWEEN 0 AND 18),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE venue (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code varchar(32) NOT NULL UNIQUE,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE instrument (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        symbol varchar(64) NOT NULL UNIQUE,
        kind text NOT NULL CHECK (kind IN ('spot', 'perpetual', 'future', 'option')),
        settlement_type text NOT NULL CHECK (settlement_type IN ('linear', 'inverse')),
        underlying varchar(32) NOT NULL,
        quote_asset varchar(16) NOT NULL REFERENCES asset(code),
        settlement_asset varchar(16) NOT NULL REFERENCES asset(code),
        contract_size numeric(38,18) NOT NULL CHECK (contract_size > 0),
        expires_at timestamptz,
        strike numeric(38,18) CHECK (strike > 0),
        option_type text CHECK (option_type IN ('call', 'put')),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'expired', 'delisted')),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT instrument_dated_has_expiry CHECK (kind NOT IN ('future', 'option') OR expires_at IS NOT NULL),
        CONSTRAINT instrument_undated_has_no_expiry CHECK (kind IN ('future', 'option') OR expires_at IS NULL),
        CONSTRAINT instrument_option_fields CHECK (
          (kind = 'option') = (strike IS NOT NULL AND option_type IS NOT NULL)
        )
      )`);
    await queryRunner.query(`
      CREATE TABLE member_firm (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code varchar(32) NOT NULL UNIQUE,
        name text NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'defaulted')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE account (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        member_firm_id uuid REFERENCES member_firm(id),
        code varchar(64) NOT NULL,
        kind text NOT NULL CHECK (kind IN ('cross', 'isolated', 'portfolio', 'house')),
        house_role text CHECK (house_role IN ('custody', 'insurance_fund', 'fee_revenue', 'default_fund', 'ccp_capital', 'liquidation')),
        settlement_asset varchar(16) NOT NULL REFERENCES asset(code),
        isolated_instrument_id uuid REFERENCES instrument(id),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'closed')),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT account_house_has_role CHECK ((kind = 'house') = (house_role IS NOT NULL AND member_firm_id IS NULL)),
        CONSTRAINT account_isolated_has_market CHECK ((kind = 'isolated') = (isolated_instrument_id IS NOT NULL))
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX account_member_code ON account (member_firm_id, code) WHERE member_firm_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX account_house_role ON account (house_role) WHERE house_role IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE journal_entry (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        idempotency_key varchar(200) NOT NULL UNIQUE CHECK (length(idempotency_key) > 0),
        payload_hash char(64) NOT NULL,
        kind varchar(64) NOT NULL,
        description text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE posting (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        journal_entry_id bigint NOT NULL REFERENCES journal_entry(id),
        account_id uuid NOT NULL REFERENCES account(id),
        asset varchar(16) NOT NULL REFERENCES asset(code),
        amount numeric(38,18) NOT NULL CHECK (amount <> 0)
      )`);
    await queryRunner.query(`CREATE INDEX posting_journal_entry ON posting (journal_entry_id)`);
    await queryRunner.query(`CREATE INDEX posting_account_asset ON posting (account_id, asset)`);
    // Every journal entry balances per asset, checked at commit so an entry's postings can be inserted one by one.
    await queryRunner.query(`
      CREATE FUNCTION assert_journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE unbalanced record;
      BEGIN
        SELECT asset, sum(amount) AS total INTO unbalanced
          FROM posting WHERE journal_entry_id = NEW.journal_entry_id
          GROUP BY asset HAVING sum(amount) <> 0 LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION 'journal entry % does not balance in %: sum %', NEW.journal_entry_id, unbalanced.asset, unbalanced.total
            USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE CONSTRAINT TRIGGER posting_balanced AFTER INSERT ON posting
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION assert_journal_entry_balanced()`);
    // The ledger is append-only: a correction is a new entry, never an edit.
    await queryRunner.query(`
      CREATE FUNCTION reject_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER posting_append_only BEFORE UPDATE OR DELETE ON posting FOR EACH ROW EXECUTE FUNCTION reject_ledger_change()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER journal_entry_append_only BEFORE UPDATE OR DELETE ON journal_entry FOR EACH ROW EXECUTE FUNCTION reject_ledger_change()`,
    );
    await queryRunner.query(`
      CREATE VIEW account_balance AS
        SELECT account_id, asset, sum(amount) AS balance FROM posting GROUP BY account_id, asset`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP VIEW account_balance');
    await queryRunner.query('DROP TABLE posting');
    await queryRunner.query('DROP TABLE journal_entry');
    await queryRunner.query('DROP FUNCTION reject_ledger_change()');
    await queryRunner.query('DROP FUNCTION assert_journal_entry_balanced()');
    await queryRunner.query('DROP TABLE account');
    await queryRunner.query('DROP TABLE member_firm');
    await queryRunner.query('DROP TABLE instrument');
    await queryRunner.query('DROP TABLE venue');
    await queryRunner.query('DROP TABLE asset');
  }
}
