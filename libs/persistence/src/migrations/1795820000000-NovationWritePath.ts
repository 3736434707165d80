import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The database's own checks on the novation write path, at a cost that follows the batch instead of the
 * ledger (tools/bench/novation.bench.ts, PostgreSQL CPU per trade: one-trade calls over 10,000 accounts
 * 23 ms -> 2.6 ms; batches of 500 over one account pair 65 -> 55 us, over 10,000 accounts 136 -> 125 us,
 * together with the single write statement of trades/batch-write.ts):
 *
 * 1. The per-asset balance check of postings (1795710000000) summed, for every entry a statement touched,
 *    all of that entry's postings in the table. Its plan is cached per connection by PL/pgSQL and was
 *    built for the first statement's size: a connection whose first insert was large (a bulk deposit)
 *    kept a plan that walks the posting table, so every later batch paid for the whole ledger (one-trade
 *    calls after a few bulk batches: 23 ms per posting insert). It now sums the statement's transition
 *    table alone. The guarantee is the same: every earlier statement was checked, and postings are
 *    append-only, so an entry's earlier postings already sum to zero per asset and the entry balances
 *    exactly when this statement's share of it does.
 *
 * 2. The reference checks of 1795790000000 (same guarantees: every referenced row exists at the end of
 *    each statement, SQLSTATE foreign_key_violation, the same messages) lose their redundant work:
 *    - one function per table and event with its columns written in, instead of EXECUTE format(...)
 *      per column. Its probes are planned on every call (plan_cache_mode = force_custom_plan): a generic
 *      plan, kept by PL/pgSQL for the connection's life, was built against the parent table as it was at
 *      the first call (a seq scan of a 10-row account table) and stayed one as the table grew;
 *    - columns that reference the same table are checked together (a trade's buyer and seller: one
 *      probe of account instead of two), each distinct key once, by index (`= ANY`) rather than by a hash
 *      of the whole parent table;
 *    - an UPDATE checks only the keys its new rows bring: a key its old rows already held was checked
 *      when written, and referenced rows are never deleted or re-keyed (1795790000000). A novation
 *      batch's position update moves last_trade_id only; its accounts and instrument are not probed.
 *    When a probe finds a key missing, the column is found as before, so the message names it.
 *
 * 3. position_instrument_open (instrument_id) WHERE quantity <> 0 is a prefix of
 *    position_open_accounts_by_instrument (instrument_id, account_id) WHERE quantity <> 0 (1795810000000),
 *    with the same predicate: every query it served is served by the other. Every position update of a
 *    trade changes quantity (the predicate's column, so never a HOT update) and wrote both.
 */
export class NovationWritePath1795820000000 implements MigrationInterface {
  name = 'NovationWritePath1795820000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(balanceCheckFunction(BALANCE_OVER_STATEMENT));
    for (const child of CHILDREN) {
      for (const event of child.events) {
        await queryRunner.query(`DROP TRIGGER ${child.table}_references_${event.toLowerCase()} ON ${child.table}`);
        await queryRunner.query(referenceCheckFunction(child, event));
        const transition = event === 'UPDATE' ? 'OLD TABLE AS old_rows NEW TABLE AS new_rows' : 'NEW TABLE AS new_rows';
        await queryRunner.query(
          `CREATE TRIGGER ${child.table}_references_${event.toLowerCase()} AFTER ${event} ON ${child.table}
             REFERENCING ${transition} FOR EACH STATEMENT
             EXECUTE FUNCTION ${functionName(child.table, event)}()`,
        );
      }
    }
    await queryRunner.query(`DROP INDEX position_instrument_open`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX position_instrument_open ON position (instrument_id) WHERE quantity <> 0`);
    for (const child of CHILDREN) {
      const checkArguments = child.groups
        .flatMap((group) => group.columns.map((column) => `'${column}', '${group.parent}', '${group.parentKey}'`))
        .join(', ');
      for (const event of child.events) {
        await queryRunner.query(`DROP TRIGGER ${child.table}_references_${event.toLowerCase()} ON ${child.table}`);
        await queryRunner.query(`DROP FUNCTION ${functionName(child.table, event)}()`);
        await queryRunner.query(
          `CREATE TRIGGER ${child.table}_references_${event.toLowerCase()} AFTER ${event} ON ${child.table}
             REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
             EXECUTE FUNCTION assert_statement_references_exist(${checkArguments})`,
        );
      }
    }
    await queryRunner.query(balanceCheckFunction(BALANCE_OVER_LEDGER));
  }
}

/** 1795790000000's foreign keys, grouped by the table they reference, in its column order. */
interface ReferenceGroup {
  readonly parent: string;
  readonly parentKey: string;
  readonly keyType: 'uuid' | 'bigint' | 'varchar';
  readonly columns: readonly string[];
}

const CHILDREN: readonly {
  readonly table: string;
  readonly events: readonly ('INSERT' | 'UPDATE')[];
  readonly groups: readonly ReferenceGroup[];
}[] = [
  {
    table: 'posting',
    events: ['INSERT'],
    groups: [
      { parent: 'journal_entry', parentKey: 'id', keyType: 'bigint', columns: ['journal_entry_id'] },
      { parent: 'account', parentKey: 'id', keyType: 'uuid', columns: ['account_id'] },
      { parent: 'asset', parentKey: 'code', keyType: 'varchar', columns: ['asset'] },
    ],
  },
  {
    table: 'trade',
    events: ['INSERT', 'UPDATE'],
    groups: [
      { parent: 'venue', parentKey: 'id', keyType: 'uuid', columns: ['venue_id'] },
      { parent: 'instrument', parentKey: 'id', keyType: 'uuid', columns: ['instrument_id'] },
      { parent: 'account', parentKey: 'id', keyType: 'uuid', columns: ['buyer_account_id', 'seller_account_id'] },
      { parent: 'journal_entry', parentKey: 'id', keyType: 'bigint', columns: ['journal_entry_id'] },
    ],
  },
  {
    table: 'position',
    events: ['INSERT', 'UPDATE'],
    groups: [
      { parent: 'account', parentKey: 'id', keyType: 'uuid', columns: ['account_id'] },
      { parent: 'instrument', parentKey: 'id', keyType: 'uuid', columns: ['instrument_id'] },
      { parent: 'trade', parentKey: 'id', keyType: 'bigint', columns: ['last_trade_id'] },
    ],
  },
];

function functionName(table: string, event: 'INSERT' | 'UPDATE'): string {
  return `assert_${table}_${event.toLowerCase()}_references_exist`;
}

/**
 * One probe per referenced table: the distinct keys the statement brings (for an UPDATE, those its old
 * rows did not hold), counted in the parent by its unique key. Only when the count falls short, each
 * column is searched for a missing key (1795790000000's query), so the error names the column.
 */
function referenceCheckFunction(
  child: { readonly table: string; readonly groups: readonly ReferenceGroup[] },
  event: 'INSERT' | 'UPDATE',
): string {
  const keysOf = (rows: string, group: ReferenceGroup) =>
    group.columns.map((column) => `SELECT ${column} FROM ${rows} WHERE ${column} IS NOT NULL`).join(' UNION ALL ');
  const probes = child.groups.map((group, index) => {
    const brought =
      event === 'UPDATE'
        ? `(${keysOf('new_rows', group)}) EXCEPT (${keysOf('old_rows', group)})`
        : keysOf('new_rows', group);
    const findMissing = group.columns
      .map(
        (column) => `
          SELECT referenced.key::text INTO missing
            FROM (SELECT DISTINCT ${column} AS key FROM new_rows WHERE ${column} IS NOT NULL) referenced
           WHERE NOT EXISTS (SELECT 1 FROM ${group.parent} parent WHERE parent.${group.parentKey} = referenced.key)
           LIMIT 1;
          IF missing IS NOT NULL THEN
            RAISE EXCEPTION '%.% = % references no % row', TG_TABLE_NAME, '${column}', missing, '${group.parent}'
              USING ERRCODE = 'foreign_key_violation';
          END IF;`,
      )
      .join('');
    return `
      SELECT array_agg(DISTINCT brought.key) INTO keys_${index} FROM (${brought}) AS brought(key);
      IF keys_${index} IS NOT NULL AND (SELECT count(*) FROM ${group.parent} parent
                                         WHERE parent.${group.parentKey} = ANY (keys_${index}))
                                       <> cardinality(keys_${index}) THEN${findMissing}
        RAISE EXCEPTION '% references a missing % row', TG_TABLE_NAME, '${group.parent}'
          USING ERRCODE = 'foreign_key_violation';
      END IF;`;
  });
  const declarations = child.groups.map((group, index) => `keys_${index} ${group.keyType}[];`).join('\n        ');
  return `
    CREATE FUNCTION ${functionName(child.table, event)}() RETURNS trigger LANGUAGE plpgsql
      SET plan_cache_mode = force_custom_plan AS $$
    DECLARE
      missing text;
      ${declarations}
    BEGIN${probes.join('')}
      RETURN NULL;
    END $$`;
}

/** 1795710000000's body: every posting of every entry the statement touched, read from the table. */
const BALANCE_OVER_LEDGER = `
  SELECT posting.journal_entry_id, posting.asset, sum(posting.amount) AS total INTO unbalanced
    FROM posting
    WHERE posting.journal_entry_id IN (SELECT DISTINCT journal_entry_id FROM inserted_posting)
    GROUP BY posting.journal_entry_id, posting.asset HAVING sum(posting.amount) <> 0 LIMIT 1;`;

/** The statement's own postings: the earlier ones of an entry already sum to zero per asset. */
const BALANCE_OVER_STATEMENT = `
  SELECT journal_entry_id, asset, sum(amount) AS total INTO unbalanced
    FROM inserted_posting
    GROUP BY journal_entry_id, asset HAVING sum(amount) <> 0 LIMIT 1;`;

function balanceCheckFunction(body: string): string {
  return `
    CREATE OR REPLACE FUNCTION assert_inserted_journal_entries_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE unbalanced record;
    BEGIN${body}
      IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not balance in %: sum %',
          unbalanced.journal_entry_id, unbalanced.asset, unbalanced.total
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$`;
}
