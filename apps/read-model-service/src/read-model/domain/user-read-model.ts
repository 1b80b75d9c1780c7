import type { ProjectableEvent, ProjectedEvent } from './projected-event.js';

/*
 * The projections, as pure functions from (current state, one event) to the next state.
 *
 * Deliveries may be duplicated and may arrive in any order (a failed delivery comes back after
 * later ones, parallel lanes interleave, an order can reach the stream before its user's sign-up),
 * so every function here is written to converge: applying the same set of events in any order, any
 * number of times each, ends in the same state.
 *  - Facts that happen once (a sign-up, the items of a placed order) are filled in when they arrive
 *    and never overwritten.
 *  - What changes over time has an order key, and only a newer change wins: `orderVersion` for an
 *    order; for the newsletter, the change's own timestamp with the stream position breaking ties
 *    (newsletter events carry no per-user version).
 *  - Derived numbers (order count, total spent) are recomputed from the orders, never incremented.
 *  - The timeline holds each event once, by id; an event stored twice in the stream keeps its
 *    first position (ProjectionWriter's upsert).
 */

export type NewsletterStatus = 'subscribed' | 'unsubscribed' | 'never';
export type OrderStatus = 'placed' | 'cancelled';

export interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPriceCents: number;
}

/** The latest newsletter change known for a user. */
export interface NewsletterChange {
  readonly status: Exclude<NewsletterStatus, 'never'>;
  /** When the change happened (the event's `subscribedAt` / `unsubscribedAt`). */
  readonly since: string;
  /** Stream position of the event, the tie-breaker for two changes in the same millisecond. */
  readonly streamSequence: number;
}

/** What the read model holds about a user besides their orders. */
export interface UserState {
  readonly userId: string;
  /** Null until the user's UserSignedUp arrived; until then queries treat the user as unknown. */
  readonly profile: { readonly email: string; readonly name: string; readonly signedUpAt: string } | null;
  readonly welcomeEmailSentAt: string | null;
  /** Null when the user never subscribed. */
  readonly newsletter: NewsletterChange | null;
}

/** One order of a user, as far as its events have arrived. */
export interface OrderState {
  readonly orderId: string;
  readonly userId: string;
  /** The status after the newest event applied (the highest `orderVersion` seen). */
  readonly status: OrderStatus;
  readonly totalCents: number;
  /** Null only while the order's OrderPlaced has not arrived yet (its cancellation overtook it). */
  readonly items: readonly OrderLine[] | null;
  readonly placedAt: string | null;
  readonly cancelledAt: string | null;
  readonly orderVersion: number;
}

export interface OrderTotals {
  readonly orderCount: number;
  readonly totalSpentCents: number;
}

/** One line of a user's timeline: which event, when, and who sent it. */
export interface TimelineEntry {
  readonly eventId: string;
  readonly userId: string;
  readonly type: string;
  readonly version: number;
  readonly occurredAt: string;
  readonly correlationId: string;
  /** The emitting service (the envelope's `source`). */
  readonly source: string;
  readonly streamSequence: number;
}

export function emptyUser(userId: string): UserState {
  return { userId, profile: null, welcomeEmailSentAt: null, newsletter: null };
}

/** Timestamps are kept in one canonical form (UTC, milliseconds), the form the database gives back. */
export function canonicalInstant(iso: string): string {
  return new Date(iso).toISOString();
}

export function isOrderEvent(event: ProjectableEvent): event is Extract<ProjectableEvent, { type: 'OrderPlaced' | 'OrderCancelled' }> {
  return event.type === 'OrderPlaced' || event.type === 'OrderCancelled';
}

/** Applies a user-level event (sign-up, welcome email, newsletter); any other event leaves the user as is. */
export function applyToUser(user: UserState, { event, streamSequence, personalData }: ProjectedEvent): UserState {
  switch (event.type) {
    case 'UserSignedUp':
      // A user signs up once; a redelivery carries the same facts, so the first one stays. The
      // personal data comes from user-service, never from the event (a v1 event's clear copy is
      // ignored, as the upcaster drops it): an account already gone leaves no profile.
      if (user.profile || !personalData) return user;
      return {
        ...user,
        profile: { email: personalData.email, name: personalData.name, signedUpAt: canonicalInstant(event.data.occurredAt) },
      };
    case 'WelcomeEmailSent':
      return { ...user, welcomeEmailSentAt: earliest(user.welcomeEmailSentAt, canonicalInstant(event.data.sentAt)) };
    case 'NewsletterSubscribed':
      return withNewsletterChange(user, { status: 'subscribed', since: canonicalInstant(event.data.subscribedAt), streamSequence });
    case 'NewsletterUnsubscribed':
      return withNewsletterChange(user, { status: 'unsubscribed', since: canonicalInstant(event.data.unsubscribedAt), streamSequence });
    default:
      return user;
  }
}

/**
 * Applies an order event to its order (`current` is null for an order not seen yet). The status and
 * total follow the event with the highest `orderVersion`; a stale or repeated event only fills in
 * the placement facts (items, placedAt) if they are still missing.
 */
export function applyToOrder(current: OrderState | null, event: Extract<ProjectableEvent, { type: 'OrderPlaced' | 'OrderCancelled' }>): OrderState {
  const { orderId, userId, totalCents, orderVersion } = event.data;
  const order: OrderState = current ?? {
    orderId,
    userId,
    status: 'placed',
    totalCents,
    items: null,
    placedAt: null,
    cancelledAt: null,
    orderVersion: 0,
  };
  const newer = orderVersion > order.orderVersion;
  if (event.type === 'OrderPlaced') {
    return {
      ...order,
      ...(newer ? { status: 'placed' as const, totalCents, orderVersion } : {}),
      items: order.items ?? event.data.items,
      placedAt: order.placedAt ?? canonicalInstant(event.data.placedAt),
    };
  }
  if (!newer) return order;
  return { ...order, status: 'cancelled', totalCents, cancelledAt: canonicalInstant(event.data.cancelledAt), orderVersion };
}

/**
 * The overview's order numbers, by definition:
 * - `orderCount`: the user's orders whose current status is `placed` (a cancelled order no longer counts);
 * - `totalSpentCents`: the sum of those orders' totals, i.e. everything placed minus everything cancelled.
 */
export function orderTotals(orders: readonly OrderState[]): OrderTotals {
  const placed = orders.filter((order) => order.status === 'placed');
  return { orderCount: placed.length, totalSpentCents: placed.reduce((sum, order) => sum + order.totalCents, 0) };
}

export function timelineEntryOf({ event, streamSequence }: ProjectedEvent): TimelineEntry {
  return {
    eventId: event.id,
    userId: event.data.userId,
    type: event.type,
    version: event.version,
    occurredAt: canonicalInstant(event.occurredAt),
    correlationId: event.correlationId,
    source: event.source,
    streamSequence,
  };
}

/** Timeline order: when it happened, then where it sits in the stream (stable across replays). */
export function compareTimelineEntries(a: TimelineEntry, b: TimelineEntry): number {
  return Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || a.streamSequence - b.streamSequence;
}

function withNewsletterChange(user: UserState, change: NewsletterChange): UserState {
  const current = user.newsletter;
  const newer =
    !current ||
    Date.parse(change.since) > Date.parse(current.since) ||
    (Date.parse(change.since) === Date.parse(current.since) && change.streamSequence > current.streamSequence);
  return newer ? { ...user, newsletter: change } : user;
}

function earliest(current: string | null, candidate: string): string {
  return current === null || Date.parse(candidate) < Date.parse(current) ? candidate : current;
}
