import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The `subscriptions` table: one row per user who opted in or has made a choice since. */
@Entity({ name: 'subscriptions' })
export class SubscriptionRecord {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'boolean' })
  subscribed!: boolean;

  /** When `subscribed` took its current value. */
  @Column({ type: 'timestamptz' })
  since!: Date;
}
