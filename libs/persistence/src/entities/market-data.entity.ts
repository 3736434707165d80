import type { Decimal } from '@novation/money';
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { moneyColumn } from '../decimal.transformer.js';

/** Index (spot or forward) price of an underlying; the latest by observedAt is current. Append-only. */
@Entity({ name: 'index_price' })
export class IndexPriceEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'varchar', length: 32 })
  underlying!: string;

  @Column({ ...moneyColumn })
  price!: Decimal;

  @Column({ name: 'observed_at', type: 'timestamptz' })
  observedAt!: Date;

  @Column({ type: 'varchar', length: 64 })
  source!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** Mark price of an instrument (options: premium per unit in the settlement asset) and its implied vol. */
@Entity({ name: 'mark_price' })
export class MarkPriceEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'instrument_id', type: 'uuid' })
  instrumentId!: string;

  @Column({ ...moneyColumn })
  price!: Decimal;

  /** Options only; a risk-model input (float64), not an amount. */
  @Column({ name: 'implied_volatility', type: 'double precision', nullable: true })
  impliedVolatility!: number | null;

  @Column({ name: 'observed_at', type: 'timestamptz' })
  observedAt!: Date;

  @Column({ type: 'varchar', length: 64 })
  source!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** Daily log return of an underlying: the history historical-ES margin simulates. */
@Entity({ name: 'underlying_return' })
export class UnderlyingReturnEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  underlying!: string;

  /** 'YYYY-MM-DD' (a date, no time zone). */
  @PrimaryColumn({ type: 'date' })
  day!: string;

  /** True for the stressed-period series used by the anti-procyclicality floor. */
  @PrimaryColumn({ name: 'stressed_period', type: 'boolean', default: false })
  stressedPeriod!: boolean;

  @Column({ name: 'log_return', type: 'double precision' })
  logReturn!: number;
}
