import { z } from 'zod';
import type { TimelineItemView, UserOrderView, UserOverviewView } from '../read-model/domain/views.js';

/*
 * The read model's NATS request-reply API, shared by the answering controller and the client.
 *
 * Wire format (Nest's NATS transport; the client in read-model.client.ts speaks it):
 *   request  header `Authorization: Bearer <the user's access token>`
 *            {"id": "<unique>", "pattern": "<subject>", "data": {"userId": "<uuid>"}}
 *   reply    {"id": "…", "response": <the view>, "isDisposed": true}
 *        or  {"id": "…", "err": {"statusCode": 400 | 401 | 403 | 404 | 500, "error": "…", "message": "…", "errors"?: [{field, message}]}, "isDisposed": true}
 * Errors carry the same body as the REST answer would.
 *
 * Access: exactly as REST. A query carries the user's bearer token and may ask for that user's data
 * only (401 without a valid token, 403 for someone else's data), so an open NATS leaks nothing. NATS
 * permissions add a second wall: only read-model-service may subscribe to `readmodel.>`, and only
 * services granted it may send there (none today).
 */

/** The NATS header carrying the caller's `Bearer <token>`, as HTTP's Authorization header does. */
export const AUTHORIZATION_HEADER = 'Authorization';

/** The queries and their subjects (before the namespace prefix). */
export const READ_MODEL_QUERIES = {
  userOverview: 'readmodel.user.get',
  userOrders: 'readmodel.user.orders',
  userTimeline: 'readmodel.user.timeline',
} as const;

export type ReadModelQuery = keyof typeof READ_MODEL_QUERIES;

/** What each query answers for a known user. */
export interface ReadModelReplies {
  userOverview: UserOverviewView;
  userOrders: UserOrderView[];
  userTimeline: TimelineItemView[];
}

/** The request body of every query. */
export const UserQueryRequest = z.object({ userId: z.uuid({ error: 'must be a UUID' }) });
export type UserQueryRequest = z.output<typeof UserQueryRequest>;

/** The `err` of a failed reply. */
export interface ReadModelErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly message: string;
  readonly errors?: ReadonlyArray<{ readonly field: string; readonly message: string }>;
}

/**
 * The subject of a query in a namespace: NATS_NAMESPACE prefixes it (`<ns>.readmodel.user.get`)
 * like it prefixes the event subjects, so two copies of the shop on one server never answer each other.
 */
export function querySubject(namespace: string, query: ReadModelQuery): string {
  return namespace ? `${namespace}.${READ_MODEL_QUERIES[query]}` : READ_MODEL_QUERIES[query];
}
