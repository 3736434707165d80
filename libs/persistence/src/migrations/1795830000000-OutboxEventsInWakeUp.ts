import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox wake-up carries the events themselves. The NOTIFY on channel `outbox_event` (sent by a
 * statement that records outbox events, delivered at COMMIT, never for a rolled-back decision) now holds
 * the events that statement inserted, as a JSON array of {id, kind, payload, attempts} in id order. The
 * dispatcher adds their jobs straight from it, without first reading them back: a price tick reaches the
 * queue one PostgreSQL round trip sooner. The decision is still committed before any job exists (NOTIFY
 * waits for COMMIT), and the dispatcher marks the events enqueued afterwards; one it does not (a crash, a
 * Redis error) stays pending and the polling dispatcher claims it as before, deduplicated by job id.
 *
 * A payload must stay under 8,000 bytes: a statement whose events do not fit (more than 40, or payloads
 * larger than about 7,000 bytes together, as the periodic sweep's account lists are) sends an empty
 * payload, the wake-up alone, and the dispatcher claims them. A tick of 10,000 accounts is 20 events of
 * about 200 bytes. Rows that ON CONFLICT DO NOTHING skipped are not in the transition table, so an event
 * recorded twice is announced once.
 */
export class OutboxEventsInWakeUp1795830000000 implements MigrationInterface {
  name = 'OutboxEventsInWakeUp1795830000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER outbox_event_wake_up ON outbox_event');
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION notify_outbox_event() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        events_max constant integer := 40;
        stored_bytes_max constant integer := 7000;
        notification_bytes_max constant integer := 7999;
        event_count integer;
        stored_bytes bigint;
        notification text;
      BEGIN
        SELECT count(*), coalesce(sum(pg_column_size(payload)), 0) INTO event_count, stored_bytes FROM inserted_events;
        IF event_count = 0 THEN
          RETURN NULL;
        END IF;
        IF event_count <= events_max AND stored_bytes <= stored_bytes_max THEN
          SELECT json_agg(json_build_object('id', id::text, 'kind', kind, 'payload', payload, 'attempts', attempts)
                          ORDER BY id)::text
            INTO notification FROM inserted_events;
        END IF;
        IF notification IS NULL OR octet_length(notification) > notification_bytes_max THEN
          notification := '';
        END IF;
        PERFORM pg_notify('outbox_event', notification);
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(
      `CREATE TRIGGER outbox_event_wake_up AFTER INSERT ON outbox_event
         REFERENCING NEW TABLE AS inserted_events FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox_event()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER outbox_event_wake_up ON outbox_event');
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION notify_outbox_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('outbox_event', '');
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(
      `CREATE TRIGGER outbox_event_wake_up AFTER INSERT ON outbox_event
         FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox_event()`,
    );
  }
}
