import { OrderCancelledV1, OrderPlacedV1 } from '@eventshop/contracts';
import { type IntegrationEvent, integrationEvent } from '@eventshop/messaging';
import type { OrderEvent, OrderState } from '../domain/order.js';

/**
 * What the rest of the shop is told about one order event: exactly one integration event each. The
 * runner stages it in the outbox in the transaction that stores the order event.
 *
 * @param order the order right after the event. Only facts that never change (owner, total) are read,
 *   and its version: the event's place in the order's stream, which consumers use to spot stale or
 *   repeated events. The aggregate id is the order id, so the bus keeps one order's events in order.
 */
export function orderIntegrationEvents(event: OrderEvent, order: OrderState): IntegrationEvent[] {
  // Never taken: `evolve` turns every event into an order. It narrows the type.
  if (!order) throw new Error(`${event.type} left no order`);
  const orderVersion = order.version;
  switch (event.type) {
    case 'OrderPlaced': {
      const { orderId, userId, items, totalCents, placedAt } = event.data;
      const lines = items.map(({ sku, quantity, unitPriceCents }) => ({ sku, quantity, unitPriceCents }));
      return [
        integrationEvent(OrderPlacedV1, { orderId, userId, items: lines, totalCents, placedAt, orderVersion }, { aggregateId: orderId }),
      ];
    }
    case 'OrderCancelled': {
      const { orderId, cancelledAt } = event.data;
      const data = { orderId, userId: order.userId, totalCents: order.totalCents, cancelledAt, orderVersion };
      return [integrationEvent(OrderCancelledV1, data, { aggregateId: orderId })];
    }
  }
}
