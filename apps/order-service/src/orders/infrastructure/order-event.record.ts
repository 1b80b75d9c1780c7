import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Correlation of a stored event: the user action (or event) that led to it. */
export interface OrderEventMetadata {
  readonly correlationId: string;
  readonly causationId: string | null;
}

/** One row of `order_events`, the append-only event store (see its migration). */
@Entity({ name: 'order_events' })
export class OrderEventRecord {
  /** The order id: one stream per order. */
  @PrimaryColumn({ name: 'stream_id', type: 'uuid' })
  streamId!: string;

  /** 1 for the stream's first event, then 2, 3, …; unique per stream. */
  @PrimaryColumn({ type: 'integer' })
  version!: number;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'jsonb' })
  data!: unknown;

  @Column({ type: 'jsonb' })
  metadata!: OrderEventMetadata;

  /** Set by the database on insert. */
  @Column({ name: 'recorded_at', type: 'timestamptz', insert: false, update: false })
  recordedAt!: Date;
}
