import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope/define-event.js';

/**
 * order-service anonymised a customer whose account is being deleted: the customer can place no
 * more orders, and their orders stay (accounting needs them), tied to nothing but the user id,
 * which names nobody once user-service has erased the account. Published by order-service only,
 * in answer to AccountDeletionRequested.
 */
export const CustomerAnonymisedV1 = defineEvent({
  name: 'CustomerAnonymised',
  version: 1,
  context: 'order',
  schema: z.strictObject({
    userId: z.uuid(),
    /** How many orders the customer had; they are kept. */
    ordersKept: z.number().int().nonnegative(),
    anonymisedAt: z.iso.datetime({ offset: true }),
  }),
});

export type CustomerAnonymisedV1 = EventOf<typeof CustomerAnonymisedV1>;
