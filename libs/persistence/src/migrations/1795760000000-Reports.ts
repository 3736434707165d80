import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stored backtest reports: one row per (business date, account, product), the product being an underlying
 * or '*' for the whole account. The unique key is what makes a re-run of a date idempotent.
 */
export class Reports1795760000000 implements MigrationInterface {
  name = 'Reports1795760000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE backtest_report (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        business_date date NOT NULL,
        account_id uuid NOT NULL REFERENCES account (id),
        member_firm_id uuid NOT NULL REFERENCES member_firm (id),
        product varchar(32) NOT NULL CHECK (product <> ''),
        margin_asset varchar(16) NOT NULL,
        lookback_days integer NOT NULL CHECK (lookback_days BETWEEN 1 AND 1000),
        confidence double precision NOT NULL CHECK (confidence > 0 AND confidence < 1),
        observation_count integer NOT NULL CHECK (observation_count >= 1),
        exception_count integer NOT NULL CHECK (exception_count BETWEEN 0 AND observation_count),
        coverage_ratio double precision NOT NULL CHECK (coverage_ratio BETWEEN 0 AND 1),
        kupiec_likelihood_ratio double precision NOT NULL,
        kupiec_p_value double precision NOT NULL,
        christoffersen_independence_likelihood_ratio double precision,
        christoffersen_independence_p_value double precision,
        christoffersen_conditional_coverage_likelihood_ratio double precision,
        christoffersen_conditional_coverage_p_value double precision,
        traffic_light text NOT NULL CHECK (traffic_light IN ('green', 'yellow', 'red')),
        traffic_light_cumulative_probability double precision NOT NULL,
        observations jsonb NOT NULL,
        inputs_hash char(64) NOT NULL,
        run_by varchar(128) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        replaced_at timestamptz,
        CONSTRAINT backtest_report_one_per_key UNIQUE (business_date, account_id, product)
      )`);
    // Lists filter by date (admin) or by account and date range (member API), newest first.
    await queryRunner.query(`CREATE INDEX backtest_report_date ON backtest_report (business_date DESC, id DESC)`);
    await queryRunner.query(
      `CREATE INDEX backtest_report_account_date ON backtest_report (account_id, business_date DESC, id DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE backtest_report');
  }
}
