import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { Decimal } from '@novation/money';
import { moneyColumn } from '../decimal.transformer.js';

/**
 * Reference data: assets, venues, instruments. Entities carry ids, not TypeORM relations: joins are
 * written where they are needed, and no lazy load can fire a hidden query inside a money transaction.
 */
@Entity({ name: 'asset' })
export class AssetEntity {
  @PrimaryColumn({ type: 'varchar', length: 16 })
  code!: string;

  @Column({ type: 'text' })
  name!: string;

  /** Decimal places the asset is settled in (USDC 6, BTC 8); amounts with more are rejected. */
  @Column({ type: 'smallint' })
  scale!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

@Entity({ name: 'venue' })
export class VenueEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 32, unique: true })
  code!: string;

  @Column({ type: 'text' })
  name!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export type InstrumentKind = 'spot' | 'perpetual' | 'future' | 'option';
export type SettlementType = 'linear' | 'inverse';
export type OptionType = 'call' | 'put';
export type InstrumentStatus = 'active' | 'expired' | 'delisted';

@Entity({ name: 'instrument' })
export class InstrumentEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  symbol!: string;

  @Column({ type: 'text' })
  kind!: InstrumentKind;

  @Column({ name: 'settlement_type', type: 'text' })
  settlementType!: SettlementType;

  /** The underlying index, e.g. BTC-USD. */
  @Column({ type: 'varchar', length: 32 })
  underlying!: string;

  @Column({ name: 'quote_asset', type: 'varchar', length: 16 })
  quoteAsset!: string;

  @Column({ name: 'settlement_asset', type: 'varchar', length: 16 })
  settlementAsset!: string;

  @Column({ name: 'contract_size', ...moneyColumn })
  contractSize!: Decimal;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ ...moneyColumn, nullable: true })
  strike!: Decimal | null;

  @Column({ name: 'option_type', type: 'text', nullable: true })
  optionType!: OptionType | null;

  @Column({ type: 'text', default: 'active' })
  status!: InstrumentStatus;

  /** The venue whose trades and marks this instrument takes; null for instruments no venue lists yet. */
  @Column({ name: 'venue_id', type: 'uuid', nullable: true })
  venueId!: string | null;

  /** Options only: written on the spot index or on the future of the same expiry. */
  @Column({ name: 'underlying_reference', type: 'text', nullable: true })
  underlyingReference!: 'spot' | 'future' | null;

  /** Lot size: trade quantities are multiples of it. */
  @Column({ name: 'quantity_step', ...moneyColumn, default: '1' })
  quantityStep!: Decimal;

  @Column({ name: 'price_tick', ...moneyColumn, nullable: true })
  priceTick!: Decimal | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
