import { z } from 'zod';

/**
 * The `:id` of `/orders/:id…` routes. Order ids are UUIDs; anything else is a `400` naming the field
 * `id` (the same shape as every validation error) rather than a `404`: the client sent a malformed
 * id, not the id of an order that does not exist, and saying so helps them find the bug. It also
 * keeps non-UUIDs away from the `uuid` column, where they would be a database error.
 */
export const OrderIdParams = z.object({
  id: z.uuid({ error: 'must be a UUID' }),
});

export type OrderIdParams = z.output<typeof OrderIdParams>;
