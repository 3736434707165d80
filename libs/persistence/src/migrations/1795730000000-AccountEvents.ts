import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account events: an append-only record of margin state changes, margin calls and liquidation steps,
 * written in the transaction that makes each change and announced with NOTIFY at its commit. The API
 * streams them to the owning member firm and serves them again to a client catching up after a reconnect.
 * `member_firm_id` is copied from the account at insert so the API filters by firm without a join;
 * `dedupe_key` makes a re-run job record nothing twice.
 */
export class AccountEvents1795730000000 implements MigrationInterface {
  name = 'AccountEvents1795730000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE account_event (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES account(id),
        member_firm_id uuid REFERENCES member_firm(id),
        kind text NOT NULL CHECK (kind IN ('margin-state-changed', 'margin-call-opened', 'margin-call-resolved',
          'liquidation-started', 'liquidation-step', 'liquidation-completed')),
        dedupe_key varchar(200) NOT NULL UNIQUE,
        payload jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX account_event_member_firm ON account_event (member_firm_id, id)`);
    await queryRunner.query(`CREATE INDEX account_event_account ON account_event (account_id, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE account_event');
  }
}
