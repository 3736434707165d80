import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Liquidation execution:
 * - liquidation_step: one row per executed step of a liquidation (a slice of closes, or the final step that
 *   covers the deficit), numbered from 1 with its ledger idempotency key; `details` holds what was decided
 *   (closes, deficit layers, the auto-deleveraging ranking) as it was decided, for audit.
 * - liquidation_fill: every position change a liquidation makes (the liquidated account, the clearinghouse's
 *   liquidation account, auto-deleveraged counterparties). Liquidation moves positions without a venue
 *   trade; these rows are what the auditor adds to trades when it checks positions against fills.
 * - outbox_event kind 'liquidation': a breach recorded with its liquidation row, handed to the worker.
 * - liquidation.next_step_at: when the next slice may run (the cool-down), so a redelivered job waits.
 */
export class LiquidationExecution1795740000000 implements MigrationInterface {
  name = 'LiquidationExecution1795740000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox_event DROP CONSTRAINT outbox_event_kind_check`);
    await queryRunner.query(
      `ALTER TABLE outbox_event ADD CONSTRAINT outbox_event_kind_check CHECK (kind IN ('margin-check', 'liquidation'))`,
    );
    await queryRunner.query(`ALTER TABLE liquidation ADD COLUMN next_step_at timestamptz`);
    await queryRunner.query(`
      CREATE TABLE liquidation_step (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        liquidation_id uuid NOT NULL REFERENCES liquidation(id),
        step_number integer NOT NULL CHECK (step_number BETWEEN 1 AND 100000),
        kind text NOT NULL CHECK (kind IN ('slice', 'final')),
        idempotency_key varchar(200) NOT NULL UNIQUE,
        receipt_id bigint NOT NULL REFERENCES margin_receipt(id),
        journal_entry_id bigint REFERENCES journal_entry(id),
        details jsonb NOT NULL,
        executed_at timestamptz NOT NULL,
        UNIQUE (liquidation_id, step_number)
      )`);
    await queryRunner.query(`
      CREATE TABLE liquidation_fill (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        liquidation_step_id bigint NOT NULL REFERENCES liquidation_step(id),
        account_id uuid NOT NULL REFERENCES account(id),
        instrument_id uuid NOT NULL REFERENCES instrument(id),
        role text NOT NULL CHECK (role IN ('liquidated', 'liquidation_account', 'adl_counterparty')),
        quantity numeric(38,18) NOT NULL CHECK (quantity <> 0),
        price numeric(38,18) NOT NULL CHECK (price > 0)
      )`);
    await queryRunner.query(`CREATE INDEX liquidation_fill_position ON liquidation_fill (account_id, instrument_id)`);
    await queryRunner.query(`CREATE INDEX liquidation_fill_step ON liquidation_fill (liquidation_step_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE liquidation_fill');
    await queryRunner.query('DROP TABLE liquidation_step');
    await queryRunner.query('ALTER TABLE liquidation DROP COLUMN next_step_at');
    await queryRunner.query(`ALTER TABLE outbox_event DROP CONSTRAINT outbox_event_kind_check`);
    await queryRunner.query(
      `ALTER TABLE outbox_event ADD CONSTRAINT outbox_event_kind_check CHECK (kind IN ('margin-check'))`,
    );
  }
}
