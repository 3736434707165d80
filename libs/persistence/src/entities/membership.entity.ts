import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type MemberFirmStatus = 'active' | 'suspended' | 'defaulted';

@Entity({ name: 'member_firm' })
export class MemberFirmEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 32, unique: true })
  code!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', default: 'active' })
  status!: MemberFirmStatus;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** Member accounts are margined (cross, isolated, portfolio); house accounts hold the clearinghouse's own money. */
export type AccountKind = 'cross' | 'isolated' | 'portfolio' | 'house';
export type HouseRole =
  'custody' | 'insurance_fund' | 'fee_revenue' | 'default_fund' | 'ccp_capital' | 'liquidation' | 'variation_margin';
export type AccountMarginState = 'healthy' | 'margin_call' | 'liquidating';
export type AccountStatus = 'active' | 'frozen' | 'closed';

@Entity({ name: 'account' })
export class AccountEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Null for house accounts. */
  @Column({ name: 'member_firm_id', type: 'uuid', nullable: true })
  memberFirmId!: string | null;

  @Column({ type: 'varchar', length: 64 })
  code!: string;

  @Column({ type: 'text' })
  kind!: AccountKind;

  @Column({ name: 'house_role', type: 'text', nullable: true })
  houseRole!: HouseRole | null;

  @Column({ name: 'settlement_asset', type: 'varchar', length: 16 })
  settlementAsset!: string;

  /** The one market of an isolated account. */
  @Column({ name: 'isolated_instrument_id', type: 'uuid', nullable: true })
  isolatedInstrumentId!: string | null;

  @Column({ type: 'text', default: 'active' })
  status!: AccountStatus;

  /** Changed only by compare-and-swap on marginStateVersion, with the affected row count asserted. */
  @Column({ name: 'margin_state', type: 'text', default: 'healthy' })
  marginState!: AccountMarginState;

  @Column({ name: 'margin_state_version', type: 'bigint', default: '0' })
  marginStateVersion!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
