import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope/define-event.js';

export const OrderLineSchema = z.strictObject({
  sku: z.string().min(1).max(64),
  quantity: z.number().int().positive(),
  unitPriceCents: z.number().int().nonnegative(),
});

/** An order was placed. Published by order-service only. `orderVersion` is the order stream's version. */
export const OrderPlacedV1 = defineEvent({
  name: 'OrderPlaced',
  version: 1,
  context: 'order',
  schema: z.strictObject({
    orderId: z.uuid(),
    userId: z.uuid(),
    items: z.array(OrderLineSchema).min(1),
    totalCents: z.number().int().nonnegative(),
    placedAt: z.iso.datetime({ offset: true }),
    orderVersion: z.number().int().positive(),
  }),
});

export type OrderPlacedV1 = EventOf<typeof OrderPlacedV1>;
