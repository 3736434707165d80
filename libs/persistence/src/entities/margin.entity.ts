import type { Decimal } from '@novation/money';
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { moneyColumn } from '../decimal.transformer.js';

export type RiskParameterSetStatus = 'draft' | 'proposed' | 'approved' | 'rejected' | 'active' | 'superseded';

/** A versioned risk parameter set; only the admin service writes it, proposer and approver differ. */
@Entity({ name: 'risk_parameter_set' })
export class RiskParameterSetEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  version!: string;

  @Column({ type: 'text', default: 'draft' })
  status!: RiskParameterSetStatus;

  /** Validated JSON: the `parameters` block of a margin request plus the model per account kind. */
  @Column({ type: 'jsonb' })
  body!: unknown;

  @Column({ name: 'effective_from', type: 'timestamptz', nullable: true })
  effectiveFrom!: Date | null;

  @Column({ name: 'proposed_by', type: 'varchar', length: 128, nullable: true })
  proposedBy!: string | null;

  @Column({ name: 'approved_by', type: 'varchar', length: 128, nullable: true })
  approvedBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export type ReceiptMarginStatus = 'healthy' | 'below_initial_margin' | 'below_maintenance_margin';

/** A computed margin with the inputs it came from: replayable with `novation-risk replay`. */
@Entity({ name: 'margin_receipt' })
export class MarginReceiptEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @Column({ name: 'inputs_hash', type: 'char', length: 64 })
  inputsHash!: string;

  @Column({ name: 'result_hash', type: 'char', length: 64 })
  resultHash!: string;

  @Column({ name: 'engine_version', type: 'varchar', length: 32 })
  engineVersion!: string;

  @Column({ name: 'parameter_set_version', type: 'varchar', length: 64 })
  parameterSetVersion!: string;

  @Column({ type: 'varchar', length: 32 })
  model!: string;

  /**
   * The margin request (receipt inputs) as hashed, without `parameters` when `parametersHash` names them
   * (margin_receipt_parameters): exportReceipt gives the whole inputs back.
   */
  @Column({ type: 'jsonb' })
  inputs!: unknown;

  /** SHA-256 of the canonical JSON of the parameters, stored once in margin_receipt_parameters. */
  @Column({ name: 'parameters_hash', type: 'char', length: 64, nullable: true })
  parametersHash!: string | null;

  @Column({ type: 'jsonb' })
  result!: unknown;

  @Column({ ...moneyColumn })
  equity!: Decimal;

  @Column({ name: 'initial_margin', ...moneyColumn })
  initialMargin!: Decimal;

  @Column({ name: 'maintenance_margin', ...moneyColumn })
  maintenanceMargin!: Decimal;

  @Column({ name: 'margin_status', type: 'text' })
  marginStatus!: ReceiptMarginStatus;

  @Column({ name: 'computed_at', type: 'timestamptz', default: () => 'now()' })
  computedAt!: Date;
}

export type MarginCallStatus = 'open' | 'met' | 'liquidated' | 'cancelled';

/** At most one open margin call per account (partial unique index). */
@Entity({ name: 'margin_call' })
export class MarginCallEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @Column({ name: 'receipt_id', type: 'bigint' })
  receiptId!: string;

  /** IM - equity when the call was made, in `asset`. */
  @Column({ ...moneyColumn })
  shortfall!: Decimal;

  @Column({ type: 'varchar', length: 16 })
  asset!: string;

  @Column({ name: 'deadline_at', type: 'timestamptz' })
  deadlineAt!: Date;

  @Column({ type: 'text', default: 'open' })
  status!: MarginCallStatus;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;
}

export type LiquidationStatus = 'pending' | 'in_progress' | 'completed' | 'failed';

/** At most one active liquidation per account (partial unique index). */
@Entity({ name: 'liquidation' })
export class LiquidationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @Column({ name: 'margin_call_id', type: 'uuid', nullable: true })
  marginCallId!: string | null;

  @Column({ name: 'trigger_receipt_id', type: 'bigint' })
  triggerReceiptId!: string;

  @Column({ type: 'text', default: 'pending' })
  status!: LiquidationStatus;

  @Column({ ...moneyColumn, default: '0' })
  deficit!: Decimal;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;
}

/** What each member must hold in the default fund (the money itself is in the ledger). */
@Entity({ name: 'default_fund_requirement' })
export class DefaultFundRequirementEntity {
  @PrimaryColumn({ name: 'member_firm_id', type: 'uuid' })
  memberFirmId!: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  asset!: string;

  @Column({ name: 'required_amount', ...moneyColumn })
  requiredAmount!: Decimal;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
