import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Referential integrity of the novation hot path, checked once per statement instead of once per row.
 *
 * A 500-trade batch writes ~2,100 postings, 500 trades and up to ~1,000 positions. Their 11 foreign keys
 * ran ~12,000 per-row RI triggers per batch (each an SPI query plus a FOR KEY SHARE row lock, the lock
 * itself a WAL record): measured at about a third of the batch. They are replaced by:
 *
 * - child side: one statement-level AFTER trigger per table and event (transition table `new_rows`)
 *   that checks, set-based over the DISTINCT referenced keys, that every referenced row exists, and
 *   raises foreign_key_violation (the SQLSTATE the foreign keys raised) at the same moment, the end of
 *   the statement. It covers every writer of these tables (ledger.ts, liquidation, settlement), not
 *   only novation.
 * - parent side: the referenced rows (account, asset, venue, instrument, trade; journal_entry was
 *   append-only already) are never deleted, re-keyed or truncated; a trigger refuses it. This is stricter
 *   than the foreign keys' NO ACTION, which still let an unreferenced row go, and it is what makes the
 *   child check safe without the foreign keys' row locks: a row seen to exist can never stop existing.
 *   (A parent committed after the checking statement's snapshot is not seen and the insert is refused:
 *   stricter again, where the foreign key would have waited for it.) No code deletes these rows: accounts
 *   are closed, instruments expire, trades and the ledger are the record.
 *
 * Double entry stays enforced by posting_balanced_per_statement (1795710000000), untouched.
 */
export class NovationThroughput1795790000000 implements MigrationInterface {
  name = 'NovationThroughput1795790000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION reject_referenced_row_removal() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% rows are referenced by the ledger, trades and positions: never deleted or re-keyed',
          TG_TABLE_NAME USING ERRCODE = 'foreign_key_violation';
      END $$`);
    // TG_ARGV: triples (column, referenced table, referenced key). NULL references are not checked, as
    // with a foreign key. Dynamic SQL: one plan per statement, not per row.
    await queryRunner.query(`
      CREATE FUNCTION assert_statement_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        missing text;
        argument_index integer := 0;
      BEGIN
        WHILE argument_index + 2 < TG_NARGS LOOP
          EXECUTE format(
            'SELECT referenced.key::text FROM (SELECT DISTINCT %1$I AS key FROM new_rows WHERE %1$I IS NOT NULL) referenced
             WHERE NOT EXISTS (SELECT 1 FROM %2$I parent WHERE parent.%3$I = referenced.key) LIMIT 1',
            TG_ARGV[argument_index], TG_ARGV[argument_index + 1], TG_ARGV[argument_index + 2]) INTO missing;
          IF missing IS NOT NULL THEN
            RAISE EXCEPTION '%.% = % references no % row', TG_TABLE_NAME, TG_ARGV[argument_index], missing,
              TG_ARGV[argument_index + 1] USING ERRCODE = 'foreign_key_violation';
          END IF;
          argument_index := argument_index + 3;
        END LOOP;
        RETURN NULL;
      END $$`);
    for (const child of CHILDREN) {
      for (const key of child.foreignKeys) {
        await queryRunner.query(`ALTER TABLE ${child.table} DROP CONSTRAINT ${child.table}_${key.column}_fkey`);
      }
      const checkArguments = child.foreignKeys
        .map((key) => `'${key.column}', '${key.parent}', '${key.parentKey}'`)
        .join(', ');
      for (const event of child.events) {
        await queryRunner.query(
          `CREATE TRIGGER ${child.table}_references_${event.toLowerCase()} AFTER ${event} ON ${child.table}
             REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
             EXECUTE FUNCTION assert_statement_references_exist(${checkArguments})`,
        );
      }
    }
    for (const parent of PARENTS) {
      if (parent.table !== 'journal_entry') {
        await queryRunner.query(
          `CREATE TRIGGER ${parent.table}_never_deleted BEFORE DELETE ON ${parent.table}
             FOR EACH ROW EXECUTE FUNCTION reject_referenced_row_removal()`,
        );
        await queryRunner.query(
          `CREATE TRIGGER ${parent.table}_key_fixed BEFORE UPDATE OF ${parent.key} ON ${parent.table}
             FOR EACH ROW WHEN (OLD.${parent.key} IS DISTINCT FROM NEW.${parent.key})
             EXECUTE FUNCTION reject_referenced_row_removal()`,
        );
      }
      await queryRunner.query(
        `CREATE TRIGGER ${parent.table}_never_truncated BEFORE TRUNCATE ON ${parent.table}
           FOR EACH STATEMENT EXECUTE FUNCTION reject_referenced_row_removal()`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const parent of PARENTS) {
      await queryRunner.query(`DROP TRIGGER ${parent.table}_never_truncated ON ${parent.table}`);
      if (parent.table !== 'journal_entry') {
        await queryRunner.query(`DROP TRIGGER ${parent.table}_key_fixed ON ${parent.table}`);
        await queryRunner.query(`DROP TRIGGER ${parent.table}_never_deleted ON ${parent.table}`);
      }
    }
    for (const child of CHILDREN) {
      for (const event of child.events) {
        await queryRunner.query(`DROP TRIGGER ${child.table}_references_${event.toLowerCase()} ON ${child.table}`);
      }
      for (const key of child.foreignKeys) {
        await queryRunner.query(
          `ALTER TABLE ${child.table} ADD CONSTRAINT ${child.table}_${key.column}_fkey
             FOREIGN KEY (${key.column}) REFERENCES ${key.parent}(${key.parentKey})`,
        );
      }
    }
    await queryRunner.query('DROP FUNCTION assert_statement_references_exist()');
    await queryRunner.query('DROP FUNCTION reject_referenced_row_removal()');
  }
}

interface ForeignKey {
  readonly column: string;
  readonly parent: string;
  readonly parentKey: string;
}

/** The foreign keys replaced, per child table, and the events that can set them. */
const CHILDREN: readonly {
  readonly table: string;
  readonly events: readonly ('INSERT' | 'UPDATE')[];
  readonly foreignKeys: readonly ForeignKey[];
}[] = [
  {
    // Append-only (posting_append_only refuses UPDATE): inserts only.
    table: 'posting',
    events: ['INSERT'],
    foreignKeys: [
      { column: 'journal_entry_id', parent: 'journal_entry', parentKey: 'id' },
      { column: 'account_id', parent: 'account', parentKey: 'id' },
      { column: 'asset', parent: 'asset', parentKey: 'code' },
    ],
  },
  {
    table: 'trade',
    events: ['INSERT', 'UPDATE'],
    foreignKeys: [
      { column: 'venue_id', parent: 'venue', parentKey: 'id' },
      { column: 'instrument_id', parent: 'instrument', parentKey: 'id' },
      { column: 'buyer_account_id', parent: 'account', parentKey: 'id' },
      { column: 'seller_account_id', parent: 'account', parentKey: 'id' },
      { column: 'journal_entry_id', parent: 'journal_entry', parentKey: 'id' },
    ],
  },
  {
    table: 'position',
    events: ['INSERT', 'UPDATE'],
    foreignKeys: [
      { column: 'account_id', parent: 'account', parentKey: 'id' },
      { column: 'instrument_id', parent: 'instrument', parentKey: 'id' },
      { column: 'last_trade_id', parent: 'trade', parentKey: 'id' },
    ],
  },
];

/** Every table the replaced foreign keys referenced, with its key. */
const PARENTS: readonly { readonly table: string; readonly key: string }[] = [
  { table: 'account', key: 'id' },
  { table: 'asset', key: 'code' },
  { table: 'venue', key: 'id' },
  { table: 'instrument', key: 'id' },
  { table: 'trade', key: 'id' },
  // Already append-only (journal_entry_append_only refuses UPDATE and DELETE): truncation only.
  { table: 'journal_entry', key: 'id' },
];
