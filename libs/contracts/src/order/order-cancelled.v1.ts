import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope/define-event.js';

/** A placed order was cancelled. Published by order-service only. */
export const OrderCancelledV1 = defineEvent({
  name: 'OrderCancelled',
  version: 1,
  context: 'order',
  schema: z.strictObject({
    orderId: z.uuid(),
    userId: z.uuid(),
    totalCents: z.number().int().nonnegative(),
    cancelledAt: z.iso.datetime({ offset: true }),
    orderVersion: z.number().int().positive(),
  }),
});

export type OrderCancelledV1 = EventOf<typeof OrderCancelledV1>;
