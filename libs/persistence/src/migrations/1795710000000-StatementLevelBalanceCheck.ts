import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-asset balance check of journal entries, once per INSERT statement instead of once per posting
 * row at commit. Novating a batch of 500 trades writes ~2,000 postings; the deferred row trigger ran its
 * GROUP BY 2,000 times at commit (~30 ms of a ~200 ms batch). The statement trigger sees every inserted
 * row through a transition table and checks each touched entry once.
 *
 * The rule it relies on: all postings of a journal entry are inserted by ONE statement (postJournalEntry
 * and the bulk ledger both do so). An entry split over two statements is refused at the first one, which
 * is stricter than before, never looser.
 */
export class StatementLevelBalanceCheck1795710000000 implements MigrationInterface {
  name = 'StatementLevelBalanceCheck1795710000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER posting_balanced ON posting`);
    await queryRunner.query(`
      CREATE FUNCTION assert_inserted_journal_entries_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE unbalanced record;
      BEGIN
        SELECT posting.journal_entry_id, posting.asset, sum(posting.amount) AS total INTO unbalanced
          FROM posting
          WHERE posting.journal_entry_id IN (SELECT DISTINCT journal_entry_id FROM inserted_posting)
          GROUP BY posting.journal_entry_id, posting.asset HAVING sum(posting.amount) <> 0 LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION 'journal entry % does not balance in %: sum %',
            unbalanced.journal_entry_id, unbalanced.asset, unbalanced.total
            USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER posting_balanced_per_statement AFTER INSERT ON posting
        REFERENCING NEW TABLE AS inserted_posting
        FOR EACH STATEMENT EXECUTE FUNCTION assert_inserted_journal_entries_balanced()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER posting_balanced_per_statement ON posting`);
    await queryRunner.query(`DROP FUNCTION assert_inserted_journal_entries_balanced()`);
    await queryRunner.query(`
      CREATE CONSTRAINT TRIGGER posting_balanced AFTER INSERT ON posting
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION assert_journal_entry_balanced()`);
  }
}
