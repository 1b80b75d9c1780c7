import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { correlationIdOrNew, EventBus, messageContext } from '@eventshop/messaging';
import {
  decide,
  evolve,
  type Order,
  type OrderCommand,
  OrderNotFoundError,
  type OrderState,
  rehydrate,
} from '../domain/order.js';
import { OrderEventStore } from './order-event-store.js';
import { publishIntegrationEvent } from './order-integration-events.js';

const isOrder = (state: OrderState): state is Order => state !== null;

/**
 * Orders, event-sourced: every read rebuilds the order from its stream; every change runs a command
 * through the aggregate and appends what it decided.
 */
@Injectable()
export class OrderRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: OrderEventStore,
    private readonly eventBus: EventBus,
  ) {}

  /** The order, or null when there is none with this id. */
  async find(orderId: string): Promise<Order | null> {
    return rehydrate(await this.store.readStream(orderId));
  }

  /** The newest `limit` orders `userId` placed, newest first. */
  async findPlacedBy(userId: string, limit: number): Promise<Order[]> {
    const streams = await this.store.readStreamsPlacedBy(userId, limit);
    return streams.map(rehydrate).filter(isOrder);
  }

  /**
   * Runs `command` against the order: replays its stream, lets the aggregate decide, then appends the
   * new events and stages their integration events in one transaction (the transactional outbox).
   * Returns the order as the command left it. Throws the aggregate's error when the command is
   * refused, and `OrderChangedConcurrentlyError` when another request changed the order after we
   * read it: then nothing was written, and no event was published.
   */
  async execute(orderId: string, command: OrderCommand): Promise<Order> {
    const current = rehydrate(await this.store.readStream(orderId));
    const newEvents = decide(command, current);
    const order = newEvents.reduce<OrderState>(evolve, current);
    // Only a command that decided nothing about an order that does not exist leaves no order.
    if (!order) throw new OrderNotFoundError(orderId);
    if (newEvents.length === 0) return order;

    // The concurrency check: the new events must directly follow the version the decision was based on.
    const expectedVersion = current?.version ?? 0;
    // Requests and handled messages already run in a message context; work started outside one gets
    // its own, so the stored events and their integration events always share one correlation id.
    const context = messageContext.current() ?? { correlationId: correlationIdOrNew(null), causationId: null, trace: {} };
    await messageContext.run(context, () =>
      this.dataSource.transaction(async (transaction) => {
        await this.store.append(transaction, orderId, expectedVersion, newEvents, {
          correlationId: context.correlationId,
          causationId: context.causationId,
        });
        for (const [index, event] of newEvents.entries()) {
          await publishIntegrationEvent(this.eventBus, transaction, event, order, expectedVersion + index + 1);
        }
      }),
    );
    return order;
  }
}
