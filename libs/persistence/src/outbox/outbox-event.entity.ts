import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** 'liquidation': a recorded breach (liquidation row) to execute; see libs/persistence/src/liquidation. */
export type OutboxEventKind = 'margin-check' | 'liquidation';

export type OutboxEventStatus = 'pending' | 'enqueued' | 'done' | 'failed';

/** A decision recorded in the transaction that made it, waiting to be (or already) handed to a queue. */
@Entity({ name: 'outbox_event' })
export class OutboxEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'text' })
  kind!: OutboxEventKind;

  @Column({ name: 'dedupe_key', type: 'varchar', length: 200, unique: true })
  dedupeKey!: string;

  @Column({ type: 'jsonb' })
  payload!: unknown;

  @Column({ type: 'text', default: 'pending' })
  status!: OutboxEventStatus;

  /** How many times the event was handed to the queue. */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'enqueued_at', type: 'timestamptz', nullable: true })
  enqueuedAt!: Date | null;

  @Column({ name: 'done_at', type: 'timestamptz', nullable: true })
  doneAt!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;
}
