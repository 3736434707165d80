import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Clearing core: positions and trades, market data (index and mark prices, implied vols, return history),
 * risk parameter sets, margin receipts, margin calls and liquidations, default-fund requirements, the audit
 * log and API keys. Money and quantities are numeric(38,18); risk-model inputs that only feed float64
 * maths (implied vols, log returns) are double precision.
 */
export class ClearingCore1795700000000 implements MigrationInterface {
  name = 'ClearingCore1795700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The clearinghouse's side of every PnL and premium flow (see libs/clearing novation.ts).
    await queryRunner.query(`ALTER TABLE account DROP CONSTRAINT account_house_role_check`);
    await queryRunner.query(`
      ALTER TABLE account ADD CONSTRAINT account_house_role_check CHECK (house_role IN (
        'custody', 'insurance_fund', 'fee_revenue', 'default_fund', 'ccp_capital', 'liquidation', 'variation_margin'
      ))`);
    // Margin state, changed only by compare-and-swap on margin_state_version (affected row count asserted).
    await queryRunner.query(`
      ALTER TABLE account
        ADD COLUMN margin_state text NOT NULL DEFAULT 'healthy'
          CHECK (margin_state IN ('healthy', 'margin_call', 'liquidating')),
        ADD COLUMN margin_state_version bigint NOT NULL DEFAULT 0`);
    await queryRunner.query(`
      ALTER TABLE instrument
        ADD COLUMN venue_id uuid REFERENCES venue(id),
        ADD COLUMN underlying_reference text CHECK (underlying_reference IN ('spot', 'future')),
        ADD COLUMN quantity_step numeric(38,18) NOT NULL DEFAULT 1 CHECK (quantity_step > 0),
        ADD COLUMN price_tick numeric(38,18) CHECK (price_tick > 0)`);
    // Options listed before this migration are written on the spot index (Deribit convention).
    await queryRunner.query(`UPDATE instrument SET underlying_reference = 'spot' WHERE kind = 'option'`);
    await queryRunner.query(`
      ALTER TABLE instrument
        ADD CONSTRAINT instrument_option_reference CHECK ((kind = 'option') = (underlying_reference IS NOT NULL))`);
    await queryRunner.query(`
      CREATE TABLE trade (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        venue_id uuid NOT NULL REFERENCES venue(id),
        venue_trade_id varchar(128) NOT NULL,
        instrument_id uuid NOT NULL REFERENCES instrument(id),
        buyer_account_id uuid NOT NULL REFERENCES account(id),
        seller_account_id uuid NOT NULL REFERENCES account(id),
        quantity numeric(38,18) NOT NULL CHECK (quantity > 0),
        price numeric(38,18) NOT NULL CHECK (price > 0),
        buyer_fee numeric(38,18) NOT NULL,
        seller_fee numeric(38,18) NOT NULL,
        executed_at timestamptz NOT NULL,
        payload_hash char(64) NOT NULL,
        journal_entry_id bigint REFERENCES journal_entry(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT trade_venue_trade_id UNIQUE (venue_id, venue_trade_id),
        CONSTRAINT trade_not_self CHECK (buyer_account_id <> seller_account_id)
      )`);
    await queryRunner.query(`CREATE INDEX trade_instrument ON trade (instrument_id, id)`);
    await queryRunner.query(`CREATE INDEX trade_buyer ON trade (buyer_account_id, id)`);
    await queryRunner.query(`CREATE INDEX trade_seller ON trade (seller_account_id, id)`);
    await queryRunner.query(`
      CREATE TABLE position (
        account_id uuid NOT NULL REFERENCES account(id),
        instrument_id uuid NOT NULL REFERENCES instrument(id),
        quantity numeric(38,18) NOT NULL DEFAULT 0,
        average_entry_price numeric(38,18) CHECK (average_entry_price > 0),
        realised_pnl numeric(38,18) NOT NULL DEFAULT 0,
        last_trade_id bigint REFERENCES trade(id),
        version bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, instrument_id),
        CONSTRAINT position_flat_has_no_entry CHECK ((quantity = 0) = (average_entry_price IS NULL))
      )`);
    await queryRunner.query(`CREATE INDEX position_instrument_open ON position (instrument_id) WHERE quantity <> 0`);
    await queryRunner.query(`
      CREATE TABLE index_price (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        underlying varchar(32) NOT NULL,
        price numeric(38,18) NOT NULL CHECK (price > 0),
        observed_at timestamptz NOT NULL,
        source varchar(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX index_price_latest ON index_price (underlying, observed_at DESC, id DESC)`);
    await queryRunner.query(`
      CREATE TABLE mark_price (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        instrument_id uuid NOT NULL REFERENCES instrument(id),
        price numeric(38,18) NOT NULL CHECK (price > 0),
        implied_volatility double precision CHECK (implied_volatility > 0 AND implied_volatility < 100),
        observed_at timestamptz NOT NULL,
        source varchar(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX mark_price_latest ON mark_price (instrument_id, observed_at DESC, id DESC)`);
    await queryRunner.query(`
      CREATE TABLE underlying_return (
        underlying varchar(32) NOT NULL,
        day date NOT NULL,
        log_return double precision NOT NULL CHECK (log_return > -10 AND log_return < 10),
        stressed_period boolean NOT NULL DEFAULT false,
        PRIMARY KEY (underlying, day, stressed_period)
      )`);
    await queryRunner.query(`
      CREATE TABLE risk_parameter_set (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        version varchar(64) NOT NULL UNIQUE,
        status text NOT NULL DEFAULT 'draft'
          CHECK (status IN ('draft', 'proposed', 'approved', 'rejected', 'active', 'superseded')),
        body jsonb NOT NULL,
        effective_from timestamptz,
        proposed_by varchar(128),
        approved_by varchar(128),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT risk_parameter_set_four_eyes CHECK (approved_by IS NULL OR approved_by <> proposed_by)
      )`);
    await queryRunner.query(
      `CREATE INDEX risk_parameter_set_effective ON risk_parameter_set (effective_from DESC) WHERE status IN ('approved', 'active')`,
    );
    await queryRunner.query(`
      CREATE TABLE margin_receipt (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES account(id),
        inputs_hash char(64) NOT NULL,
        result_hash char(64) NOT NULL,
        engine_version varchar(32) NOT NULL,
        parameter_set_version varchar(64) NOT NULL,
        model varchar(32) NOT NULL,
        inputs jsonb NOT NULL,
        result jsonb NOT NULL,
        equity numeric(38,18) NOT NULL,
        initial_margin numeric(38,18) NOT NULL CHECK (initial_margin >= 0),
        maintenance_margin numeric(38,18) NOT NULL CHECK (maintenance_margin >= 0),
        margin_status text NOT NULL CHECK (margin_status IN ('healthy', 'below_initial_margin', 'below_maintenance_margin')),
        computed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX margin_receipt_account_latest ON margin_receipt (account_id, id DESC)`);
    await queryRunner.query(`
      CREATE TABLE margin_call (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES account(id),
        receipt_id bigint NOT NULL REFERENCES margin_receipt(id),
        shortfall numeric(38,18) NOT NULL CHECK (shortfall > 0),
        asset varchar(16) NOT NULL REFERENCES asset(code),
        deadline_at timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'met', 'liquidated', 'cancelled')),
        created_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX margin_call_one_open ON margin_call (account_id) WHERE status = 'open'`,
    );
    await queryRunner.query(`
      CREATE TABLE liquidation (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES account(id),
        margin_call_id uuid REFERENCES margin_call(id),
        trigger_receipt_id bigint NOT NULL REFERENCES margin_receipt(id),
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'in_progress', 'completed', 'failed')),
        deficit numeric(38,18) NOT NULL DEFAULT 0 CHECK (deficit >= 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX liquidation_one_active ON liquidation (account_id) WHERE status IN ('pending', 'in_progress')`,
    );
    await queryRunner.query(`
      CREATE TABLE default_fund_requirement (
        member_firm_id uuid NOT NULL REFERENCES member_firm(id),
        asset varchar(16) NOT NULL REFERENCES asset(code),
        required_amount numeric(38,18) NOT NULL CHECK (required_amount >= 0),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (member_firm_id, asset)
      )`);
    await queryRunner.query(`
      CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        actor varchar(128) NOT NULL,
        action varchar(64) NOT NULL,
        subject_type varchar(64) NOT NULL,
        subject_id varchar(128) NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id, id)`);
    await queryRunner.query(
      `CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION reject_ledger_change()`,
    );
    await queryRunner.query(`
      CREATE TABLE api_key (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        prefix varchar(24) NOT NULL UNIQUE,
        secret_hash char(64) NOT NULL,
        role text NOT NULL CHECK (role IN ('member', 'venue', 'custody', 'admin')),
        member_firm_id uuid REFERENCES member_firm(id),
        venue_id uuid REFERENCES venue(id),
        label varchar(128) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        revoked_at timestamptz,
        last_used_at timestamptz,
        CONSTRAINT api_key_member_scope CHECK ((role = 'member') = (member_firm_id IS NOT NULL)),
        CONSTRAINT api_key_venue_scope CHECK ((role = 'venue') = (venue_id IS NOT NULL))
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE api_key');
    await queryRunner.query('DROP TABLE audit_log');
    await queryRunner.query('DROP TABLE default_fund_requirement');
    await queryRunner.query('DROP TABLE liquidation');
    await queryRunner.query('DROP TABLE margin_call');
    await queryRunner.query('DROP TABLE margin_receipt');
    await queryRunner.query('DROP TABLE risk_parameter_set');
    await queryRunner.query('DROP TABLE underlying_return');
    await queryRunner.query('DROP TABLE mark_price');
    await queryRunner.query('DROP TABLE index_price');
    await queryRunner.query('DROP TABLE position');
    await queryRunner.query('DROP TABLE trade');
    await queryRunner.query(`
      ALTER TABLE instrument
        DROP CONSTRAINT instrument_option_reference,
        DROP COLUMN price_tick,
        DROP COLUMN quantity_step,
        DROP COLUMN underlying_reference,
        DROP COLUMN venue_id`);
    await queryRunner.query('ALTER TABLE account DROP COLUMN margin_state_version, DROP COLUMN margin_state');
    await queryRunner.query(`ALTER TABLE account DROP CONSTRAINT account_house_role_check`);
    await queryRunner.query(`
      ALTER TABLE account ADD CONSTRAINT account_house_role_check CHECK (house_role IN (
        'custody', 'insurance_fund', 'fee_revenue', 'default_fund', 'ccp_capital', 'liquidation'
      ))`);
  }
}
