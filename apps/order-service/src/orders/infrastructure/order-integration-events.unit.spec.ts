import { describe, expect, it } from '@jest/globals';
import { OrderCancelledV1, OrderPlacedV1 } from '@eventshop/contracts';
import { evolve, type OrderEvent } from '../domain/order.js';
import { orderIntegrationEvents } from './order-integration-events.js';

const ORDER_ID = '6f1f5b0e-2f55-4d8e-9b8c-3f1f0a4c1e01';
const ANN = '0b6c7a7e-1111-4c1e-8a5e-9d2f8c3b0a01';
const items = [{ sku: 'BOOK-1', quantity: 2, unitPriceCents: 1_250 }];
const placed: OrderEvent = { type: 'OrderPlaced', data: { orderId: ORDER_ID, userId: ANN, items, totalCents: 2_500, placedAt: '2026-11-23T10:00:00.000Z' } };
const cancelled: OrderEvent = { type: 'OrderCancelled', data: { orderId: ORDER_ID, cancelledAt: '2026-11-23T10:05:00.000Z' } };

describe('orderIntegrationEvents', () => {
  const afterPlaced = evolve(null, placed);
  const afterCancelled = evolve(afterPlaced, cancelled);

  it('announces OrderPlaced at the version the event took, keyed by the order', () => {
    const [event] = orderIntegrationEvents(placed, afterPlaced);
    expect(event).toEqual({ contract: OrderPlacedV1, data: { ...placed.data, orderVersion: 1 }, aggregateId: ORDER_ID });
    expect(() => OrderPlacedV1.schema.parse(event!.data)).not.toThrow();
  });

  it('announces OrderCancelled with the owner and total the event itself does not carry', () => {
    const [event] = orderIntegrationEvents(cancelled, afterCancelled);
    expect(event).toEqual({
      contract: OrderCancelledV1,
      data: { orderId: ORDER_ID, userId: ANN, totalCents: 2_500, cancelledAt: cancelled.data.cancelledAt, orderVersion: 2 },
      aggregateId: ORDER_ID,
    });
    expect(() => OrderCancelledV1.schema.parse(event!.data)).not.toThrow();
  });
});
