import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { type OrderEvent, OrderChangedConcurrentlyError } from '../domain/order.js';
import type { OrderEventMetadata } from './order-event.record.js';

const UNIQUE_VIOLATION = '23505';
/** The (stream_id, version) key: violated exactly when another writer took the version we wanted. */
const STREAM_VERSION_KEY = 'order_events_pkey';

const OrderLineData = z.object({ sku: z.string(), quantity: z.number(), unitPriceCents: z.number() });

/**
 * The shape a stored event must have to be replayed. Rows are checked on the way out, so a row the
 * code cannot read fails here with its problem named, not somewhere deep in the aggregate.
 */
const StoredOrderEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('OrderPlaced'),
    data: z.object({
      orderId: z.string(),
      userId: z.string(),
      items: z.array(OrderLineData),
      totalCents: z.number(),
      placedAt: z.string(),
    }),
  }),
  z.object({
    type: z.literal('OrderCancelled'),
    data: z.object({ orderId: z.string(), cancelledAt: z.string() }),
  }),
]) satisfies z.ZodType<OrderEvent>;

const toOrderEvent = (row: { type: string; data: unknown }): OrderEvent =>
  StoredOrderEvent.parse({ type: row.type, data: row.data });

/**
 * The order event store: append-only streams, one per order, in `order_events`. It stores and reads
 * events; what they mean is the aggregate's business (see `orders/domain/order.ts`).
 */
@Injectable()
export class OrderEventStore {
  constructor(private readonly dataSource: DataSource) {}

  /** The order's events, oldest first; empty when the order does not exist. Read `within` a transaction if given. */
  async readStream(orderId: string, within: EntityManager = this.dataSource.manager): Promise<OrderEvent[]> {
    // Plain SQL: TypeORM's query builder cost more CPU than the query (bench:shop profile).
    const rows: Array<{ type: string; data: unknown }> = await within.query(
      `SELECT type, data FROM order_events WHERE stream_id = $1 ORDER BY version`,
      [orderId],
    );
    return rows.map(toOrderEvent);
  }

  /** The streams of the newest `limit` orders `userId` placed, newest order first. */
  async readStreamsPlacedBy(userId: string, limit: number): Promise<OrderEvent[][]> {
    const rows: Array<{ stream_id: string; type: string; data: unknown }> = await this.dataSource.query(
      `WITH newest AS (
         SELECT stream_id, recorded_at
           FROM order_events
          WHERE type = 'OrderPlaced' AND data->>'userId' = $1
          ORDER BY recorded_at DESC, stream_id DESC
          LIMIT $2)
       SELECT e.stream_id, e.type, e.data
         FROM order_events e JOIN newest n USING (stream_id)
        ORDER BY n.recorded_at DESC, n.stream_id DESC, e.version`,
      [userId, limit],
    );
    // Rows arrive grouped by stream, streams in the order wanted: collect them in that order.
    const streams = new Map<string, OrderEvent[]>();
    for (const row of rows) {
      const stream = streams.get(row.stream_id) ?? [];
      stream.push(toOrderEvent(row));
      streams.set(row.stream_id, stream);
    }
    return [...streams.values()];
  }

  /**
   * Appends `events` to the order's stream inside `transaction`, as versions `expectedVersion + 1`,
   * `+ 2`, … Contract: if any other writer appended after `expectedVersion` (committed, or committing
   * while we wait for its lock), nothing is written and `OrderChangedConcurrentlyError` is thrown;
   * the caller's transaction is then unusable and must roll back.
   */
  async append(
    transaction: EntityManager,
    orderId: string,
    expectedVersion: number,
    events: readonly OrderEvent[],
    metadata: OrderEventMetadata,
  ): Promise<void> {
    if (events.length === 0) return;
    const values: unknown[] = [];
    const tuples = events.map((event, index) => {
      values.push(orderId, expectedVersion + index + 1, event.type, JSON.stringify(event.data), JSON.stringify(metadata));
      const p = index * 5;
      return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5})`;
    });
    try {
      await transaction.query(`INSERT INTO order_events (stream_id, version, type, data, metadata) VALUES ${tuples.join(', ')}`, values);
    } catch (error) {
      const driverError = (error as { driverError?: { code?: string; constraint?: string } }).driverError;
      if (driverError?.code === UNIQUE_VIOLATION && driverError.constraint === STREAM_VERSION_KEY) {
        throw new OrderChangedConcurrentlyError(orderId);
      }
      throw error;
    }
  }
}
