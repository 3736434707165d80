import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Linear phase-in of a scheduled risk parameter set (issue 7 §2, libs/persistence/src/margin/parameter-phase-in.ts):
 * - phase_in_ms: the period over which the set's numbers move from those of phase_in_from_id to its own,
 *   whole days from 1 to 90 (the interpolation steps hourly);
 * - phase_in_from_id: the set phased from, fixed when scheduling (the set in force just before
 *   effective_from then), so the bodies a phase-in produces never depend on what happens later.
 * Both or neither, and only on a scheduled set. Cancelling a schedule returns the set to approved and
 * unscheduled (effective_from, phase_in_ms and phase_in_from_id NULL): no new status, so the status CHECK
 * of risk_parameter_set is unchanged; a superseded (rolled back) set keeps its phase-in for the record.
 */
export class ParameterPhaseIn1795800000000 implements MigrationInterface {
  name = 'ParameterPhaseIn1795800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE risk_parameter_set
        ADD COLUMN phase_in_ms bigint,
        ADD COLUMN phase_in_from_id uuid REFERENCES risk_parameter_set(id),
        ADD CONSTRAINT risk_parameter_set_phase_in CHECK (
          (phase_in_ms IS NULL AND phase_in_from_id IS NULL)
          OR (
            phase_in_ms IS NOT NULL AND phase_in_from_id IS NOT NULL AND phase_in_from_id <> id
            AND effective_from IS NOT NULL
            AND status IN ('approved', 'active', 'superseded')
            AND phase_in_ms BETWEEN 86400000 AND 7776000000
            AND phase_in_ms % 86400000 = 0
          )
        )`);
    await queryRunner.query(
      `CREATE INDEX risk_parameter_set_phase_in_from ON risk_parameter_set (phase_in_from_id) WHERE phase_in_from_id IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS risk_parameter_set_phase_in_from`);
    await queryRunner.query(`
      ALTER TABLE risk_parameter_set
        DROP CONSTRAINT risk_parameter_set_phase_in,
        DROP COLUMN phase_in_from_id,
        DROP COLUMN phase_in_ms`);
  }
}
