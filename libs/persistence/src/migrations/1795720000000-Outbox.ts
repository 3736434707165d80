import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox: a decision (re-margin these accounts) is written in the transaction that
 * makes it, then a dispatcher hands it to BullMQ. Redis can lose a job (flush, failover); the row cannot,
 * so a reconciler re-dispatches any event whose job vanished. `dedupe_key` makes recording the same
 * decision twice a no-op.
 */
export class Outbox1795720000000 implements MigrationInterface {
  name = 'Outbox1795720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE outbox_event (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('margin-check')),
        dedupe_key varchar(200) NOT NULL UNIQUE,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'enqueued', 'done', 'failed')),
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        enqueued_at timestamptz,
        done_at timestamptz,
        last_error text,
        CONSTRAINT outbox_event_enqueued_has_time CHECK (status <> 'enqueued' OR enqueued_at IS NOT NULL),
        CONSTRAINT outbox_event_done_has_time CHECK ((status = 'done') = (done_at IS NOT NULL))
      )`);
    // The dispatcher and reconciler only ever look at open events; the partial index stays small.
    await queryRunner.query(
      `CREATE INDEX outbox_event_open ON outbox_event (status, id) WHERE status IN ('pending', 'enqueued')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE outbox_event');
  }
}
