import type {
  NewsletterStatus,
  OrderLine,
  OrderState,
  OrderStatus,
  OrderTotals,
  TimelineEntry,
  UserState,
} from './user-read-model.js';

/*
 * What the queries answer, over REST and over NATS alike. Plain JSON: timestamps are ISO 8601 (UTC),
 * money is integer cents.
 */

/** `GET /users/:id` and `readmodel.user.get`. */
export interface UserOverviewView {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly signedUpAt: string;
  /** Null until email-service reported the welcome email as sent. */
  readonly welcomeEmailSentAt: string | null;
  /** `never` (and `since: null`) until newsletter-service reported a first subscription. */
  readonly newsletter: { readonly status: NewsletterStatus; readonly since: string | null };
  /** Orders currently placed, i.e. not cancelled. */
  readonly orderCount: number;
  /** The total of the orders counted in `orderCount`: placed minus cancelled. */
  readonly totalSpentCents: number;
}

/** One entry of `GET /users/:id/orders` and `readmodel.user.orders`. */
export interface UserOrderView {
  readonly id: string;
  readonly status: OrderStatus;
  readonly totalCents: number;
  /** Null only for the moment an order's cancellation has arrived before its placement. */
  readonly items: readonly OrderLine[] | null;
  readonly placedAt: string | null;
  readonly cancelledAt: string | null;
}

/** One entry of `GET /users/:id/timeline` and `readmodel.user.timeline`. */
export interface TimelineItemView {
  readonly eventId: string;
  readonly type: string;
  readonly version: number;
  readonly occurredAt: string;
  readonly correlationId: string;
  /** The service that emitted the event. */
  readonly source: string;
}

/** The overview of a signed-up user; null for a user whose sign-up has not been projected. */
export function toUserOverview(user: UserState, totals: OrderTotals): UserOverviewView | null {
  if (!user.profile) return null;
  return {
    id: user.userId,
    email: user.profile.email,
    name: user.profile.name,
    signedUpAt: user.profile.signedUpAt,
    welcomeEmailSentAt: user.welcomeEmailSentAt,
    newsletter: user.newsletter
      ? { status: user.newsletter.status, since: user.newsletter.since }
      : { status: 'never', since: null },
    orderCount: totals.orderCount,
    totalSpentCents: totals.totalSpentCents,
  };
}

export function toUserOrderView(order: OrderState): UserOrderView {
  return {
    id: order.orderId,
    status: order.status,
    totalCents: order.totalCents,
    items: order.items,
    placedAt: order.placedAt,
    cancelledAt: order.cancelledAt,
  };
}

/**
 * Newest first, ties by id. An order whose placement has not arrived yet sorts by its cancellation.
 * The SQL of the orders query sorts the same way.
 */
export function compareOrdersNewestFirst(a: OrderState, b: OrderState): number {
  // Canonical ISO instants (UTC, milliseconds) sort chronologically as plain strings.
  const when = (order: OrderState) => order.placedAt ?? order.cancelledAt ?? '';
  if (when(a) !== when(b)) return when(a) < when(b) ? 1 : -1;
  return a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0;
}

export function toTimelineItemView(entry: TimelineEntry): TimelineItemView {
  return {
    eventId: entry.eventId,
    type: entry.type,
    version: entry.version,
    occurredAt: entry.occurredAt,
    correlationId: entry.correlationId,
    source: entry.source,
  };
}
