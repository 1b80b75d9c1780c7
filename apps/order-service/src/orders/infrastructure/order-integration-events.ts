import type { EntityManager } from 'typeorm';
import { OrderCancelledV1, OrderPlacedV1 } from '@eventshop/contracts';
import type { EventBus } from '@eventshop/messaging';
import type { Order, OrderEvent } from '../domain/order.js';

/**
 * Stages the integration event for one new order event in the outbox, inside `transaction` (the one
 * that stores the order event), so the two exist together or not at all.
 *
 * @param order the order the event belongs to, after it; only facts that never change (owner, total) are read.
 * @param orderVersion the event's version in the order's stream: consumers use it to spot stale or
 *   repeated events. The aggregate id is the order id, so the bus keeps one order's events in order.
 */
export async function publishIntegrationEvent(
  eventBus: EventBus,
  transaction: EntityManager,
  event: OrderEvent,
  order: Order,
  orderVersion: number,
): Promise<void> {
  switch (event.type) {
    case 'OrderPlaced': {
      const { orderId, userId, items, totalCents, placedAt } = event.data;
      await eventBus.publish(
        transaction,
        OrderPlacedV1,
        {
          orderId,
          userId,
          items: items.map(({ sku, quantity, unitPriceCents }) => ({ sku, quantity, unitPriceCents })),
          totalCents,
          placedAt,
          orderVersion,
        },
        { aggregateId: orderId },
      );
      return;
    }
    case 'OrderCancelled': {
      const { orderId, cancelledAt } = event.data;
      await eventBus.publish(
        transaction,
        OrderCancelledV1,
        { orderId, userId: order.userId, totalCents: order.totalCents, cancelledAt, orderVersion },
        { aggregateId: orderId },
      );
      return;
    }
  }
}
