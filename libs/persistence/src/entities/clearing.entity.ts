import type { Decimal } from '@novation/money';
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { moneyColumn } from '../decimal.transformer.js';

/** A venue trade the clearinghouse novated: idempotent by (venueId, venueTradeId). */
@Entity({ name: 'trade' })
export class TradeEntity {
  /** bigint identity, read as a string so ids beyond 2^53 stay exact. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'venue_id', type: 'uuid' })
  venueId!: string;

  @Column({ name: 'venue_trade_id', type: 'varchar', length: 128 })
  venueTradeId!: string;

  @Column({ name: 'instrument_id', type: 'uuid' })
  instrumentId!: string;

  @Column({ name: 'buyer_account_id', type: 'uuid' })
  buyerAccountId!: string;

  @Column({ name: 'seller_account_id', type: 'uuid' })
  sellerAccountId!: string;

  @Column({ ...moneyColumn })
  quantity!: Decimal;

  @Column({ ...moneyColumn })
  price!: Decimal;

  @Column({ name: 'buyer_fee', ...moneyColumn })
  buyerFee!: Decimal;

  @Column({ name: 'seller_fee', ...moneyColumn })
  sellerFee!: Decimal;

  @Column({ name: 'executed_at', type: 'timestamptz' })
  executedAt!: Date;

  /** SHA-256 of the trade as submitted: a retry with another payload is refused. */
  @Column({ name: 'payload_hash', type: 'char', length: 64 })
  payloadHash!: string;

  @Column({ name: 'journal_entry_id', type: 'bigint', nullable: true })
  journalEntryId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** An account's net position in one instrument; a closed position stays with quantity 0. */
@Entity({ name: 'position' })
export class PositionEntity {
  @PrimaryColumn({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @PrimaryColumn({ name: 'instrument_id', type: 'uuid' })
  instrumentId!: string;

  /** Signed contracts: negative is short. */
  @Column({ ...moneyColumn, default: '0' })
  quantity!: Decimal;

  /** Null exactly when flat. For futures, the price up to which PnL has been paid (see libs/clearing). */
  @Column({ name: 'average_entry_price', ...moneyColumn, nullable: true })
  averageEntryPrice!: Decimal | null;

  @Column({ name: 'realised_pnl', ...moneyColumn, default: '0' })
  realisedPnl!: Decimal;

  @Column({ name: 'last_trade_id', type: 'bigint', nullable: true })
  lastTradeId!: string | null;

  /** Compare-and-swap counter: every update asserts it matched and bumps it. */
  @Column({ type: 'bigint', default: '0' })
  version!: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
