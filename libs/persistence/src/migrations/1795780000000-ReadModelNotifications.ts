import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Change notifications for read models (the API's in-memory account view). Statement-level triggers with
 * transition tables send, on channel `read_model`, the distinct keys a statement touched: `a:<account ids>`
 * (positions, margin receipts, account rows, ledger postings), `m:<instrument ids>` (mark prices) and
 * `k:<api key ids>` (API keys: revocation and expiry must reach every API instance's key cache).
 *
 * NOTIFY is transactional: listeners hear it only after COMMIT, and never for a rolled-back change, so
 * a reader that hears "account X changed" and reads again sees the change. PostgreSQL folds identical
 * payloads of one transaction into one notification. A payload carries at most `chunk` ids (8,000 bytes
 * is the limit; 150 uuids with commas are 5,550); a statement touching more than `flush_all_over` keys
 * sends `<prefix>:*` instead, which listeners treat as "drop everything of that kind".
 *
 * Cost on the write path: one aggregate over the statement's transition table per statement, not per
 * row; a 500-trade novation batch pays it once per bulk statement.
 */
export class ReadModelNotifications1795780000000 implements MigrationInterface {
  name = 'ReadModelNotifications1795780000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One function per key column, with static SQL over the transition table (named changed_rows for every
    // event): PL/pgSQL caches its plans, and DISTINCT runs on the uuid before any text conversion. Dynamic
    // SQL (EXECUTE format(...)) was re-planned on every statement: a measurable share of a bulk novation.
    for (const column of KEY_COLUMNS) {
      await queryRunner.query(`
        CREATE FUNCTION notify_read_model_by_${column}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          prefix constant text := TG_ARGV[0];
          chunk constant integer := 150;
          flush_all_over constant integer := 3000;
          keys text[];
          key_count integer;
          start integer := 1;
        BEGIN
          SELECT array_agg(key::text) INTO keys
            FROM (SELECT DISTINCT ${column} AS key FROM changed_rows WHERE ${column} IS NOT NULL) distinct_keys;
          key_count := coalesce(array_length(keys, 1), 0);
          IF key_count = 0 THEN
            RETURN NULL;
          END IF;
          IF key_count > flush_all_over THEN
            PERFORM pg_notify('read_model', prefix || ':*');
            RETURN NULL;
          END IF;
          WHILE start <= key_count LOOP
            PERFORM pg_notify('read_model', prefix || ':' || array_to_string(keys[start:start + chunk - 1], ','));
            start := start + chunk;
          END LOOP;
          RETURN NULL;
        END
        $$`);
    }
    for (const trigger of TRIGGERS) {
      for (const event of trigger.events) {
        const transition = event === 'DELETE' ? 'OLD TABLE AS changed_rows' : 'NEW TABLE AS changed_rows';
        await queryRunner.query(
          `CREATE TRIGGER ${trigger.table}_read_model_${event.toLowerCase()} AFTER ${event} ON ${trigger.table}
             REFERENCING ${transition} FOR EACH STATEMENT
             EXECUTE FUNCTION notify_read_model_by_${trigger.keyColumn}('${trigger.prefix}')`,
        );
      }
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const trigger of TRIGGERS) {
      for (const event of trigger.events) {
        await queryRunner.query(`DROP TRIGGER ${trigger.table}_read_model_${event.toLowerCase()} ON ${trigger.table}`);
      }
    }
    for (const column of KEY_COLUMNS) await queryRunner.query(`DROP FUNCTION notify_read_model_by_${column}()`);
  }
}

const KEY_COLUMNS = ['account_id', 'id', 'instrument_id'] as const;

interface ReadModelTrigger {
  readonly table: string;
  readonly prefix: 'a' | 'm' | 'k';
  readonly keyColumn: (typeof KEY_COLUMNS)[number];
  readonly events: readonly ('INSERT' | 'UPDATE' | 'DELETE')[];
}

/** A transition table serves one event per trigger, hence one trigger per event. */
const TRIGGERS: readonly ReadModelTrigger[] = [
  { table: 'position', prefix: 'a', keyColumn: 'account_id', events: ['INSERT', 'UPDATE', 'DELETE'] },
  { table: 'margin_receipt', prefix: 'a', keyColumn: 'account_id', events: ['INSERT'] },
  { table: 'account', prefix: 'a', keyColumn: 'id', events: ['INSERT', 'UPDATE'] },
  // Postings are append-only (a trigger refuses UPDATE and DELETE).
  { table: 'posting', prefix: 'a', keyColumn: 'account_id', events: ['INSERT'] },
  { table: 'mark_price', prefix: 'm', keyColumn: 'instrument_id', events: ['INSERT', 'UPDATE', 'DELETE'] },
  { table: 'api_key', prefix: 'k', keyColumn: 'id', events: ['UPDATE', 'DELETE'] },
];
