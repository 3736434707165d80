import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The whole account, all products together (the `product` of the account-level row). */
export const BACKTEST_ACCOUNT_PRODUCT = '*';

export type BacktestTrafficLight = 'green' | 'yellow' | 'red';

/** One day of a backtest: the margin held at the day's end against the loss of the next day. */
export interface BacktestObservation {
  /** 'YYYY-MM-DD': the day whose closing margin is tested. */
  readonly day: string;
  /** The receipt the margin comes from (the account's latest before the day's end). */
  readonly receiptId: string;
  /** Initial margin in the margin asset, decimal string. */
  readonly margin: string;
  /** Realised loss from the day's last marks to the next day's last marks, decimal string; a gain is negative. */
  readonly loss: string;
  readonly exception: boolean;
}

/**
 * A stored backtest of one account (product '*') or of one product (underlying) of it, for one business
 * date. Unique per (business date, account, product); written once and only replaced on an explicit,
 * audited request when its inputs changed (see storeBacktestReports).
 */
@Entity({ name: 'backtest_report' })
export class BacktestReportEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  /** 'YYYY-MM-DD': the last day whose realised loss the report uses. */
  @Column({ name: 'business_date', type: 'date' })
  businessDate!: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @Column({ name: 'member_firm_id', type: 'uuid' })
  memberFirmId!: string;

  /** An underlying such as 'BTC-USD', or '*' for the whole account. */
  @Column({ type: 'varchar', length: 32 })
  product!: string;

  @Column({ name: 'margin_asset', type: 'varchar', length: 16 })
  marginAsset!: string;

  @Column({ name: 'lookback_days', type: 'integer' })
  lookbackDays!: number;

  /** Confidence the margin is tested at (0.99): the expected exception probability is 1 - confidence. */
  @Column({ type: 'double precision' })
  confidence!: number;

  @Column({ name: 'observation_count', type: 'integer' })
  observationCount!: number;

  @Column({ name: 'exception_count', type: 'integer' })
  exceptionCount!: number;

  @Column({ name: 'coverage_ratio', type: 'double precision' })
  coverageRatio!: number;

  @Column({ name: 'kupiec_likelihood_ratio', type: 'double precision' })
  kupiecLikelihoodRatio!: number;

  @Column({ name: 'kupiec_p_value', type: 'double precision' })
  kupiecPValue!: number;

  /** Null with fewer than 2 observations (the independence test needs a transition). */
  @Column({ name: 'christoffersen_independence_likelihood_ratio', type: 'double precision', nullable: true })
  christoffersenIndependenceLikelihoodRatio!: number | null;

  @Column({ name: 'christoffersen_independence_p_value', type: 'double precision', nullable: true })
  christoffersenIndependencePValue!: number | null;

  @Column({ name: 'christoffersen_conditional_coverage_likelihood_ratio', type: 'double precision', nullable: true })
  christoffersenConditionalCoverageLikelihoodRatio!: number | null;

  @Column({ name: 'christoffersen_conditional_coverage_p_value', type: 'double precision', nullable: true })
  christoffersenConditionalCoveragePValue!: number | null;

  @Column({ name: 'traffic_light', type: 'text' })
  trafficLight!: BacktestTrafficLight;

  @Column({ name: 'traffic_light_cumulative_probability', type: 'double precision' })
  trafficLightCumulativeProbability!: number;

  @Column({ type: 'jsonb' })
  observations!: BacktestObservation[];

  /** sha256 of the canonical JSON of everything the statistics were computed from. */
  @Column({ name: 'inputs_hash', type: 'char', length: 64 })
  inputsHash!: string;

  @Column({ name: 'run_by', type: 'varchar', length: 128 })
  runBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Set when an explicit re-run replaced the row's earlier figures (recorded in audit_log). */
  @Column({ name: 'replaced_at', type: 'timestamptz', nullable: true })
  replacedAt!: Date | null;
}
