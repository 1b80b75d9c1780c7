import { z } from 'zod';
import { type ApiRoute, errorResponse, type ServiceApi } from '@eventshop/platform';
import { manifest } from './config.js';
import type { TimelineItemView, UserOrderView, UserOverviewView } from './read-model/domain/views.js';
import type { RebuildSummary } from './rebuild/rebuild.handler.js';
import { RebuildAlreadyRunningError } from './rebuild/rebuild.handler.js';
import { UserRouteParams } from './http/user-route.params.js';
import { forbiddenToReadUser } from './http/own-data.guard.js';
import { UnknownUserException } from './http/unknown-user.exception.js';

/* The answers; `satisfies` keeps each in step with the view type the handlers return. */
const instant = z.iso.datetime();

const UserOverviewBody = z.object({
  id: z.uuid(),
  email: z.email(),
  name: z.string(),
  signedUpAt: instant,
  welcomeEmailSentAt: instant.nullable().meta({ description: 'Null until email-service reported the welcome email as sent' }),
  newsletter: z.object({ status: z.enum(['subscribed', 'unsubscribed', 'never']), since: instant.nullable() }),
  orderCount: z.int().meta({ description: 'Orders currently placed (not cancelled)' }),
  totalSpentCents: z.int(),
}) satisfies z.ZodType<UserOverviewView>;

const OrderLineBody = z.object({ sku: z.string(), quantity: z.int(), unitPriceCents: z.int() });

const UserOrderBody = z.object({
  id: z.uuid(),
  status: z.enum(['placed', 'cancelled']),
  totalCents: z.int(),
  items: z.array(OrderLineBody).nullable().meta({ description: "Null only while a cancellation has arrived before its order's placement" }),
  placedAt: instant.nullable(),
  cancelledAt: instant.nullable(),
}) satisfies z.ZodType<UserOrderView>;

const TimelineItemBody = z.object({
  eventId: z.uuid(),
  type: z.string(),
  version: z.int(),
  occurredAt: instant,
  correlationId: z.string(),
  source: z.string().meta({ description: 'The service that emitted the event' }),
}) satisfies z.ZodType<TimelineItemView>;

const RebuildSummaryBody = z.object({
  eventsProjected: z.int(),
  eventsSkipped: z.int().meta({ description: 'Stored messages the live consumer would not project either: unknown types, broken contracts' }),
  lastSequence: z.int().meta({ description: 'The newest stream position the new generation includes' }),
  durationMs: z.number(),
}) satisfies z.ZodType<RebuildSummary>;

const userId = '5f0c6a52-8c0e-4a53-9a43-3f3c1e7b9a10';

/** Every user route: the caller's own data only. */
const ownDataErrors = {
  403: errorResponse(403, "The token is someone else's: a user may read their own data only", String((forbiddenToReadUser().getResponse() as { message: string }).message)),
  404: errorResponse(404, 'The read model knows no signed-up user with this id (yet)', String((new UnknownUserException().getResponse() as { message: string }).message)),
};

const routes: ApiRoute[] = [
  {
    method: 'get',
    path: '/users/{id}',
    summary: "A user's overview",
    tag: 'users',
    auth: 'bearer',
    params: UserRouteParams,
    success: {
      status: 200,
      description: 'The overview',
      schema: UserOverviewBody,
      example: {
        id: userId,
        email: 'ada@example.com',
        name: 'Ada Lovelace',
        signedUpAt: '2026-01-15T09:30:00.000Z',
        welcomeEmailSentAt: '2026-01-15T09:30:02.000Z',
        newsletter: { status: 'subscribed', since: '2026-01-15T09:30:01.000Z' },
        orderCount: 1,
        totalSpentCents: 2500,
      } satisfies UserOverviewView,
    },
    errors: ownDataErrors,
  },
  {
    method: 'get',
    path: '/users/{id}/orders',
    summary: "A user's orders, newest first",
    tag: 'users',
    auth: 'bearer',
    params: UserRouteParams,
    success: {
      status: 200,
      description: 'The orders',
      schema: z.array(UserOrderBody),
      example: [
        { id: '0b9f6a1e-3c1d-4c7a-9d0e-6f2b8a4c5d10', status: 'placed', totalCents: 2500, items: [{ sku: 'BOOK-42', quantity: 2, unitPriceCents: 1250 }], placedAt: '2026-01-15T09:31:00.000Z', cancelledAt: null },
      ] satisfies UserOrderView[],
    },
    errors: ownDataErrors,
  },
  {
    method: 'get',
    path: '/users/{id}/timeline',
    summary: 'Every event about a user, oldest first',
    tag: 'users',
    auth: 'bearer',
    params: UserRouteParams,
    success: {
      status: 200,
      description: 'The timeline',
      schema: z.array(TimelineItemBody),
      example: [
        { eventId: '9a1d6c0e-2b3f-4e5a-8c7d-1e2f3a4b5c6d', type: 'UserSignedUp', version: 1, occurredAt: '2026-01-15T09:30:00.000Z', correlationId: 'c0ffee00-0000-4000-8000-000000000001', source: 'user-service' },
      ] satisfies TimelineItemView[],
    },
    errors: ownDataErrors,
  },
  {
    method: 'post',
    path: '/admin/rebuild',
    summary: 'Rebuild the read model from the event history',
    description:
      'Projects the whole history into a new generation and swaps it in; answers when done. For a history longer than a proxy timeout use `npm run readmodel:rebuild`.',
    tag: 'admin',
    auth: 'admin',
    success: {
      status: 200,
      description: 'The rebuild is done and swapped in',
      schema: RebuildSummaryBody,
      example: { eventsProjected: 1042, eventsSkipped: 0, lastSequence: 1042, durationMs: 850 } satisfies RebuildSummary,
    },
    errors: { 409: errorResponse(409, 'Another rebuild is running', new RebuildAlreadyRunningError().message) },
  },
];

/** read-model-service's HTTP API, for its OpenAPI document (`/docs`). It answers the same queries over NATS request-reply. */
export const readModelServiceApi: ServiceApi = {
  service: manifest.name,
  version: manifest.version,
  description:
    'A query model projected from every event of the shop: per-user overview, orders and timeline (each user reads only their own). The same queries are answered over NATS request-reply (`readmodel.user.*`).',
  routes,
};
