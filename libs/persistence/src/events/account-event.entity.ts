import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** What happened to an account, as the API's subscriptions name it. Keep in step with the table's CHECK. */
export type AccountEventKind =
  | 'margin-state-changed'
  | 'margin-call-opened'
  | 'margin-call-resolved'
  | 'liquidation-started'
  | 'liquidation-step'
  | 'liquidation-completed';

export const ACCOUNT_EVENT_KINDS: readonly AccountEventKind[] = [
  'margin-state-changed',
  'margin-call-opened',
  'margin-call-resolved',
  'liquidation-started',
  'liquidation-step',
  'liquidation-completed',
];

/** One append-only fact about an account, recorded in the transaction that made it true. */
@Entity({ name: 'account_event' })
@Index('account_event_member_firm', ['memberFirmId', 'id'])
@Index('account_event_account', ['accountId', 'id'])
export class AccountEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  /** The account's owner at insert time (null for house accounts), so readers filter without a join. */
  @Column({ name: 'member_firm_id', type: 'uuid', nullable: true })
  memberFirmId!: string | null;

  @Column({ type: 'text' })
  kind!: AccountEventKind;

  @Column({ name: 'dedupe_key', type: 'varchar', length: 200, unique: true })
  dedupeKey!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
