import { z } from 'zod';
import { type ApiRoute, errorResponse, type ServiceApi } from '@eventshop/platform';
import { manifest } from './config.js';
import { UnknownCustomerError } from './customers/domain/customer.js';
import { OrderAlreadyCancelledError, type OrderView } from './orders/domain/order.js';
import { OrderIdParams } from './orders/order-id.request.dto.js';
import { PlaceOrderHeaders, PlaceOrderRequest } from './place-order/place-order.request.dto.js';
import { IdempotencyKeyReusedError } from './place-order/place-order.handler.js';
import { ListMyOrdersQuery } from './list-my-orders/list-my-orders.request.dto.js';

/** An order as every route answers it; `satisfies` keeps it in step with the handlers' type. */
const OrderViewBody = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  status: z.enum(['placed', 'cancelled']),
  items: z.array(z.object({ sku: z.string(), quantity: z.int(), unitPriceCents: z.int().meta({ description: 'Euro cents' }) })),
  totalCents: z.int(),
  version: z.int().meta({ description: "The order's version: the number of events in its stream" }),
  placedAt: z.iso.datetime(),
  cancelledAt: z.iso.datetime().optional().meta({ description: 'Present once the order is cancelled' }),
}) satisfies z.ZodType<OrderView>;

const orderExample: OrderView = {
  id: '0b9f6a1e-3c1d-4c7a-9d0e-6f2b8a4c5d10',
  userId: '5f0c6a52-8c0e-4a53-9a43-3f3c1e7b9a10',
  status: 'placed',
  items: [{ sku: 'BOOK-42', quantity: 2, unitPriceCents: 1250 }],
  totalCents: 2500,
  version: 1,
  placedAt: '2026-01-15T09:31:00.000Z',
};

const orderNotFound = errorResponse(404, "No such order, or someone else's (the same answer: order ids reveal nothing)", 'Order not found');

const routes: ApiRoute[] = [
  {
    method: 'post',
    path: '/orders',
    summary: 'Place an order',
    description:
      'Stores the order and publishes `OrderPlaced`. Strict: an unknown field is a 400 naming it; every bad field is reported at once (`items.2.quantity`).',
    tag: 'orders',
    auth: 'bearer',
    headers: PlaceOrderHeaders,
    body: { schema: PlaceOrderRequest, example: { items: [{ sku: 'BOOK-42', quantity: 2, unitPriceCents: 1250 }] } },
    success: {
      status: 201,
      description: 'The placed order; with an `Idempotency-Key` sent before with the same body, the order that request placed (and `Idempotent-Replayed: true`)',
      schema: OrderViewBody,
      example: orderExample,
    },
    errors: {
      422: errorResponse(422, 'The `Idempotency-Key` was used before for an order with other lines (nothing was written)', new IdempotencyKeyReusedError('3f1c…').message),
      503: errorResponse(
        503,
        "The caller's sign-up has not reached order-service yet (retry after `Retry-After`, nothing was written), or the database is unavailable",
        new UnknownCustomerError('').message,
        { retryAfter: true },
      ),
    },
  },
  {
    method: 'get',
    path: '/orders',
    summary: "The caller's orders, newest first",
    tag: 'orders',
    auth: 'bearer',
    query: ListMyOrdersQuery,
    success: { status: 200, description: 'At most `limit` orders; `[]` when there are none', schema: z.array(OrderViewBody), example: [orderExample] },
  },
  {
    method: 'get',
    path: '/orders/{id}',
    summary: 'One of the caller’s orders',
    tag: 'orders',
    auth: 'bearer',
    params: OrderIdParams,
    success: { status: 200, description: 'The order', schema: OrderViewBody, example: orderExample },
    errors: { 404: orderNotFound },
  },
  {
    method: 'post',
    path: '/orders/{id}/cancel',
    summary: 'Cancel one of the caller’s orders',
    description: 'Publishes `OrderCancelled`. Of two concurrent requests on one order at most one wins; the other gets a 409.',
    tag: 'orders',
    auth: 'bearer',
    params: OrderIdParams,
    success: { status: 200, description: 'The cancelled order', schema: OrderViewBody, example: { ...orderExample, status: 'cancelled', version: 2, cancelledAt: '2026-01-15T10:00:00.000Z' } },
    errors: {
      404: orderNotFound,
      409: errorResponse(409, 'Already cancelled, or changed by another request at the same moment', new OrderAlreadyCancelledError('').message),
    },
  },
];

/** order-service's HTTP API, for its OpenAPI document (`/docs`). */
export const orderServiceApi: ServiceApi = {
  service: manifest.name,
  version: manifest.version,
  description: 'Orders, event-sourced: placing and cancelling publish `OrderPlaced` and `OrderCancelled`. Customers are known from `UserSignedUp`.',
  routes,
};
