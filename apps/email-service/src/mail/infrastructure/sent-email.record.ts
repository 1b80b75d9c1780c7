import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Every email the service sent, keyed by the event that caused it. */
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

  @Column({ name: 'sent_at', type: 'timestamptz' })
  sentAt!: Date;
}
