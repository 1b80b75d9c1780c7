import { z } from 'zod';
import { MAX_ORDER_LINES, MAX_QUANTITY, MAX_UNIT_PRICE_CENTS, SKU_MAX_LENGTH } from '../orders/domain/order.js';

/** Messages for an object as a whole: not an object at all, or carrying fields it does not have. */
const objectErrors = (expected: string): { error: z.core.$ZodErrorMap } => ({
  error: (issue) => {
    if (issue.code === 'invalid_type') return `must be ${expected}`;
    if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
    return undefined;
  },
});

const OrderLineRequest = z.strictObject(
  {
    sku: z
      .string({ error: 'is required and must be a string' })
      .trim()
      .min(1, 'is required')
      .max(SKU_MAX_LENGTH, `must be at most ${SKU_MAX_LENGTH} characters`),
    quantity: z
      .number({ error: 'is required and must be a number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(MAX_QUANTITY, `must be at most ${MAX_QUANTITY}`),
    unitPriceCents: z
      .number({ error: 'is required and must be a number' })
      .int('must be a whole number of cents')
      .min(0, 'must not be negative')
      .max(MAX_UNIT_PRICE_CENTS, `must be at most ${MAX_UNIT_PRICE_CENTS}`),
  },
  objectErrors('an object with sku, quantity and unitPriceCents'),
);

/**
 * `POST /orders` body. Strict: an order involves money, so an unknown field (a misspelt `quantty`, a
 * `discount` this API does not offer) is a 400 naming it, not something silently dropped. Every bad
 * field is reported at once, e.g. `items.2.quantity`.
 */
export const PlaceOrderRequest = z.strictObject(
  {
    items: z
      .array(OrderLineRequest, { error: 'is required and must be a list of order lines' })
      .min(1, 'must contain at least one line')
      .max(MAX_ORDER_LINES, `must contain at most ${MAX_ORDER_LINES} lines`),
  },
  objectErrors('a JSON object with an items list'),
);

export type PlaceOrderRequest = z.output<typeof PlaceOrderRequest>;

/**
 * `POST /orders` headers. `Idempotency-Key` (optional): a value of the client's choosing, say a
 * UUID, sent again unchanged when it retries the same order (after a timeout or a broken
 * connection). The order is then placed once; the retry is answered with it.
 */
export const PlaceOrderHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .min(1, 'must not be empty')
    .max(255, 'must be at most 255 characters')
    .regex(/^[\x21-\x7e]*$/, 'must be printable ASCII without spaces')
    .optional()
    .meta({ description: 'Places the order at most once per customer and key: a retry with the same key and body is answered with the order placed first' }),
});

export type PlaceOrderHeaders = z.output<typeof PlaceOrderHeaders>;
