import { z } from 'zod';

export const LIST_DEFAULT_LIMIT = 50;
export const LIST_MAX_LIMIT = 100;

/** `GET /orders` query: `?limit=` caps the answer (default 50, at most 100). Other parameters are ignored. */
export const ListMyOrdersQuery = z.object({
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(LIST_MAX_LIMIT, `must be at most ${LIST_MAX_LIMIT}`)
    .default(LIST_DEFAULT_LIMIT),
});

export type ListMyOrdersQuery = z.output<typeof ListMyOrdersQuery>;
