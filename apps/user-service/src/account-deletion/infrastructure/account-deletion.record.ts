import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DeletionStatus } from '../domain/account-deletion.js';

/** The `account_deletions` table: the process manager's state, one row per user who asked. No personal data. */
@Entity({ name: 'account_deletions' })
export class AccountDeletionRecord {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'text' })
  status!: DeletionStatus;

  @Column({ name: 'requested_at', type: 'timestamptz' })
  requestedAt!: Date;

  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ name: 'next_retry_at', type: 'timestamptz' })
  nextRetryAt!: Date;

  @Column({ name: 'deadline_at', type: 'timestamptz' })
  deadlineAt!: Date;

  @Column({ name: 'newsletter_answered_at', type: 'timestamptz', nullable: true })
  newsletterAnsweredAt!: Date | null;

  @Column({ name: 'email_answered_at', type: 'timestamptz', nullable: true })
  emailAnsweredAt!: Date | null;

  @Column({ name: 'order_answered_at', type: 'timestamptz', nullable: true })
  orderAnsweredAt!: Date | null;

  @Column({ name: 'read_model_answered_at', type: 'timestamptz', nullable: true })
  readModelAnsweredAt!: Date | null;

  @Column({ name: 'stuck_at', type: 'timestamptz', nullable: true })
  stuckAt!: Date | null;

  /** When the stuck deletion was reported as a dead letter; null while it still has to be. */
  @Column({ name: 'stuck_reported_at', type: 'timestamptz', nullable: true })
  stuckReportedAt!: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
