import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Receipts store their parameter set once. Every receipt carried the whole `parameters` of its parameter
 * set in its inputs: about 2.6 KB of a 3.5 KB document, the same for every receipt of that set, written
 * again by each margin run and each liquidation step. The parameters now live in
 * `margin_receipt_parameters`, keyed by the SHA-256 of their canonical JSON, and a receipt names them by
 * `parameters_hash`; its `inputs` keep everything else. An export (exportReceipt) puts them back, so a
 * receipt replays exactly as before. Rows stored before this migration keep their parameters inline
 * (`parameters_hash` NULL) and export unchanged. Going down puts every receipt's parameters back inline.
 */
export class ReceiptParameters1795850000000 implements MigrationInterface {
  name = 'ReceiptParameters1795850000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE margin_receipt_parameters (
        hash char(64) PRIMARY KEY,
        parameters jsonb NOT NULL
      )`);
    await queryRunner.query(
      `ALTER TABLE margin_receipt ADD COLUMN parameters_hash char(64) REFERENCES margin_receipt_parameters(hash)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      UPDATE margin_receipt SET inputs = jsonb_set(inputs, '{parameters}', stored.parameters)
        FROM margin_receipt_parameters stored WHERE stored.hash = margin_receipt.parameters_hash`);
    await queryRunner.query(`ALTER TABLE margin_receipt DROP COLUMN parameters_hash`);
    await queryRunner.query(`DROP TABLE margin_receipt_parameters`);
  }
}
