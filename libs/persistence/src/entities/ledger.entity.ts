import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Decimal } from '@novation/money';
import { moneyColumn } from '../decimal.transformer.js';

/**
 * Double-entry ledger. A journal entry groups postings whose amounts sum to zero per asset; the
 * database enforces it with a deferred constraint trigger, and postings are append-only.
 */
@Entity({ name: 'journal_entry' })
export class JournalEntryEntity {
  /** bigint, read as a string so ids above 2^53 stay exact. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 200, unique: true })
  idempotencyKey!: string;

  /** SHA-256 of the canonical payload: a retry with the same key must carry the same payload. */
  @Column({ name: 'payload_hash', type: 'char', length: 64 })
  payloadHash!: string;

  @Column({ type: 'varchar', length: 64 })
  kind!: string;

  @Column({ type: 'text' })
  description!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

@Entity({ name: 'posting' })
export class PostingEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'journal_entry_id', type: 'bigint' })
  journalEntryId!: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @Column({ type: 'varchar', length: 16 })
  asset!: string;

  /** Positive credits the account, negative debits it. Never zero. */
  @Column({ ...moneyColumn })
  amount!: Decimal;
}
