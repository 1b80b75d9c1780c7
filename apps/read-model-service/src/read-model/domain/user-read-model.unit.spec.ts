import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { eventCatalogue, NewsletterSubscribedV1, NewsletterUnsubscribedV1, OrderCancelledV1, OrderPlacedV1 } from '@eventshop/contracts';
import { at, envelope, seededRandom, shuffledWithDuplicates, userHistory, withPersonalData } from '../../testing/history.fixture.js';
import { PROJECTED_CONTRACTS, type ProjectedEvent } from './projected-event.js';
import {
  applyToOrder,
  applyToUser,
  compareTimelineEntries,
  emptyUser,
  isOrderEvent,
  type OrderState,
  orderTotals,
  type TimelineEntry,
  timelineEntryOf,
  type UserState,
} from './user-read-model.js';
import { compareOrdersNewestFirst, toTimelineItemView, toUserOrderView, toUserOverview } from './views.js';

/** The projections folded over deliveries in memory, the way the SQL writer applies them one by one. */
function project(deliveries: readonly ProjectedEvent[]) {
  const users = new Map<string, UserState>();
  const orders = new Map<string, OrderState>();
  const timeline = new Map<string, TimelineEntry>();
  for (const delivery of deliveries) {
    const entry = timelineEntryOf(delivery);
    const earlier = timeline.get(entry.eventId);
    if (!earlier || entry.streamSequence < earlier.streamSequence) timeline.set(entry.eventId, entry);
    const { event } = delivery;
    if (isOrderEvent(event)) orders.set(event.data.orderId, applyToOrder(orders.get(event.data.orderId) ?? null, event));
    else users.set(event.data.userId, applyToUser(users.get(event.data.userId) ?? emptyUser(event.data.userId), withPersonalData(delivery)));
  }
  return (userId: string) => {
    const ordersOfUser = [...orders.values()].filter((order) => order.userId === userId);
    return {
      overview: toUserOverview(users.get(userId) ?? emptyUser(userId), orderTotals(ordersOfUser)),
      orders: ordersOfUser.sort(compareOrdersNewestFirst).map(toUserOrderView),
      timeline: [...timeline.values()].filter((item) => item.userId === userId).sort(compareTimelineEntries).map(toTimelineItemView),
    };
  };
}

/** Each event at its position in a stream that holds them in the given order. */
const inStream = (events: ReadonlyArray<ProjectedEvent['event']>): ProjectedEvent[] =>
  events.map((event, index) => ({ event, streamSequence: index + 1 }));

describe('the read model projections', () => {
  it('follow every event in the catalogue', () => {
    const key = (contract: { name: string; version: number }) => `${contract.name} v${contract.version}`;
    expect(PROJECTED_CONTRACTS.map(key).sort()).toEqual(eventCatalogue.map(({ contract }) => key(contract)).sort());
  });

  it('build the overview, orders and timeline of a user from their history', () => {
    const history = userHistory();
    expect(project(inStream(history.events))(history.userId)).toEqual(history.expected);
  });

  it('know no user until their sign-up arrived, even with their orders already in', () => {
    const history = userHistory();
    const withoutSignUp = history.events.filter((event) => event.type !== 'UserSignedUp');
    const view = project(inStream(withoutSignUp))(history.userId);
    expect(view.overview).toBeNull();
    // Nothing is lost meanwhile: the sign-up completes the picture.
    expect(project(inStream([...withoutSignUp, history.events[0]]))(history.userId)).toEqual(history.expected);
  });

  it('end in the same state for any delivery order with any duplicates (200 seeded shuffles, two users)', () => {
    const ann = userHistory();
    const bob = userHistory();
    const stream = inStream([...ann.events, ...bob.events]);
    for (let seed = 1; seed <= 200; seed++) {
      const view = project(shuffledWithDuplicates(stream, seededRandom(seed)));
      expect({ seed, ann: view(ann.userId), bob: view(bob.userId) }).toEqual({ seed, ann: ann.expected, bob: bob.expected });
    }
  });

  describe('orders', () => {
    const userId = randomUUID();
    const orderId = randomUUID();
    const placed = envelope(
      OrderPlacedV1,
      { orderId, userId, items: [{ sku: 'MUG', quantity: 1, unitPriceCents: 900 }], totalCents: 900, placedAt: at(5), orderVersion: 1 },
      { aggregateId: orderId, occurredAt: at(5) },
    );
    const cancelled = envelope(OrderCancelledV1, { orderId, userId, totalCents: 900, cancelledAt: at(9), orderVersion: 2 }, { aggregateId: orderId, occurredAt: at(9) });
    const apply = (order: OrderState | null, event: ProjectedEvent['event']): OrderState => {
      if (!isOrderEvent(event)) throw new Error(`${event.type} is not an order event`);
      return applyToOrder(order, event);
    };

    it('ignore a stale status: a placement after its cancellation keeps the order cancelled, but fills in its items', () => {
      const cancelledFirst = apply(null, cancelled);
      expect(cancelledFirst).toMatchObject({ status: 'cancelled', items: null, placedAt: null, orderVersion: 2 });
      expect(apply(cancelledFirst, placed)).toMatchObject({
        status: 'cancelled',
        items: [{ sku: 'MUG', quantity: 1, unitPriceCents: 900 }],
        placedAt: at(5),
        cancelledAt: at(9),
        orderVersion: 2,
      });
    });

    it('count only orders still placed, and sum only their totals', () => {
      const live = apply(null, placed);
      const gone = { ...apply(live, cancelled), orderId: randomUUID() };
      expect(orderTotals([live, gone, { ...live, orderId: randomUUID(), totalCents: 100 }])).toEqual({ orderCount: 2, totalSpentCents: 1000 });
      expect(orderTotals([])).toEqual({ orderCount: 0, totalSpentCents: 0 });
    });
  });

  describe('newsletter status', () => {
    const userId = randomUUID();
    const subscribed = (seconds: number) =>
      envelope(NewsletterSubscribedV1, { userId, reason: 'resubscribe', subscribedAt: at(seconds) }, { aggregateId: userId, occurredAt: at(seconds) });
    const unsubscribed = (seconds: number) =>
      envelope(NewsletterUnsubscribedV1, { userId, via: 'account', unsubscribedAt: at(seconds) }, { aggregateId: userId, occurredAt: at(seconds) });
    const statusAfter = (...deliveries: ProjectedEvent[]) =>
      deliveries.reduce((user, delivery) => applyToUser(user, delivery), emptyUser(userId)).newsletter;

    it('is "never" until a first change, then the newest change wins whatever arrives last', () => {
      expect(emptyUser(userId).newsletter).toBeNull();
      const older = { event: subscribed(10), streamSequence: 1 };
      const newer = { event: unsubscribed(20), streamSequence: 2 };
      expect(statusAfter(older, newer)).toEqual({ status: 'unsubscribed', since: at(20), streamSequence: 2 });
      expect(statusAfter(newer, older)).toEqual({ status: 'unsubscribed', since: at(20), streamSequence: 2 });
    });

    it('breaks a tie in the same millisecond by stream position', () => {
      const first = { event: unsubscribed(30), streamSequence: 7 };
      const second = { event: subscribed(30), streamSequence: 8 };
      expect(statusAfter(second, first)?.status).toBe('subscribed');
      expect(statusAfter(first, second)?.status).toBe('subscribed');
    });
  });

  it('orders the timeline by time, then by stream position', () => {
    const entry = (occurredAt: string, streamSequence: number) => ({ occurredAt, streamSequence }) as TimelineEntry;
    const sorted = [entry(at(2), 1), entry(at(1), 9), entry(at(1), 3)].sort(compareTimelineEntries);
    expect(sorted.map((item) => [item.occurredAt, item.streamSequence])).toEqual([
      [at(1), 3],
      [at(1), 9],
      [at(2), 1],
    ]);
  });
});
