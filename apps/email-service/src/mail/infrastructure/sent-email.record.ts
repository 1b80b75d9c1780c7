import { Column, Entity, PrimaryColumn } from 'typeorm';

/** `sending`: recorded before the SMTP send (the intent); `sent`: SMTP accepted it. */
export type SentEmailState = 'sending' | 'sent';

/** Every email the service sends, keyed by the event that caused it. */
@Entity({ name: 'sent_emails' })
export class SentEmailRecord {
  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ type: 'text' })
  kind!: string;

  @Column({ name: 'recipient', type: 'text' })
  recipient!: string;

  @Column({ type: 'text' })
  subject!: string;

  @Column({ name: 'message_id', type: 'text' })
  messageId!: string;

  @Column({ name: 'correlation_id', type: 'text' })
  correlationId!: string;

  @Column({ type: 'text' })
  state!: SentEmailState;

  /** When SMTP accepted it; null while `sending`. */
  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;
}
