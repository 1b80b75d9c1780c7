import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { fold } from '@eventshop/domain';
import { correlationIdOrNew, type Decision, type DecisionStore, messageContext } from '@eventshop/messaging';
import { type Order, orderDecider, type OrderEvent, type OrderState } from '../domain/order.js';
import { OrderEventStore } from './order-event-store.js';

const isOrder = (state: OrderState): state is Order => state !== null;

/**
 * Orders, event-sourced: every read rebuilds the order from its stream. As the runner's store
 * (`OrderCommands`) it appends a decision's events at the version the decision was based on.
 */
@Injectable()
export class OrderRepository implements DecisionStore<OrderEvent, OrderState> {
  constructor(private readonly store: OrderEventStore) {}

  /** The order, or null when there is none with this id. */
  async find(orderId: string): Promise<Order | null> {
    return fold(orderDecider, await this.store.readStream(orderId));
  }

  /** The newest `limit` orders `userId` placed, newest first. */
  async findPlacedBy(userId: string, limit: number): Promise<Order[]> {
    const streams = await this.store.readStreamsPlacedBy(userId, limit);
    return streams.map((stream) => fold(orderDecider, stream)).filter(isOrder);
  }

  /** No lock: concurrent commands are caught when they append (see `save`). */
  async load(transaction: EntityManager, orderId: string): Promise<OrderState> {
    return fold(orderDecider, await this.store.readStream(orderId, transaction));
  }

  /**
   * The concurrency check: the new events must directly follow the version the decision was based
   * on, else `OrderChangedConcurrentlyError` (see `OrderEventStore.append`).
   */
  async save(transaction: EntityManager, orderId: string, { before, events }: Decision<OrderEvent, OrderState>): Promise<void> {
    const context = messageContext.current();
    await this.store.append(transaction, orderId, before?.version ?? 0, events, {
      // The runner runs in a message context, so these match the integration events staged with them.
      correlationId: context?.correlationId ?? correlationIdOrNew(null),
      causationId: context?.causationId ?? null,
    });
  }
}
