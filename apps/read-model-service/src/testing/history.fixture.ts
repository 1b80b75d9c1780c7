// Test fixtures: event envelopes built through the real contracts, and a small shop history with
// the read model it must produce. For tests only.
import { randomUUID } from 'node:crypto';
import { type EventContract, eventCatalogue, type PersonalData } from '@eventshop/contracts';
import type { PersonalDataSource } from '@eventshop/messaging';
import {
  NewsletterSubscribedV1,
  NewsletterUnsubscribedV1,
  OrderCancelledV1,
  OrderPlacedV1,
  UserSignedUpV1,
  WelcomeEmailSentV1,
} from '@eventshop/contracts';
import type { z } from 'zod';
import type { ProjectableEvent, ProjectedEvent } from '../read-model/domain/projected-event.js';
import type { TimelineItemView, UserOrderView, UserOverviewView } from '../read-model/domain/views.js';

const BASE_TIME = Date.parse('2025-03-01T10:00:00.000Z');

/** An instant `seconds` after the fixtures' base time. */
export const at = (seconds: number): string => new Date(BASE_TIME + seconds * 1000).toISOString();

/** Builds a valid envelope through the contract, as its owning service would, at a chosen time. */
export function envelope<C extends EventContract>(
  contract: C,
  data: z.input<C['schema']>,
  options: { aggregateId: string; occurredAt: string; correlationId?: string },
): ProjectableEvent {
  const owner = eventCatalogue.find((entry) => (entry.contract as EventContract) === contract)?.owner;
  if (!owner) throw new Error(`${contract.name} is not in the event catalogue`);
  const created = contract.create(data, {
    correlationId: options.correlationId ?? randomUUID(),
    source: owner,
    aggregateId: options.aggregateId,
  });
  return { ...created, occurredAt: options.occurredAt } as unknown as ProjectableEvent;
}

/**
 * The email and name user-service would answer for the fixtures' users (userHistory registers each
 * one; a test adds others): events carry none, the read model asks for them.
 */
export const fixturePeople = new Map<string, Omit<PersonalData, 'userId'>>();

/** The read model's PersonalDataSource over `fixturePeople`, for tests without NATS (see answerPersonalData for those with). */
export const fixturePersonalData: PersonalDataSource = {
  find: (userId) => {
    const person = fixturePeople.get(userId);
    return Promise.resolve(person ? { userId, ...person } : null);
  },
};

/** A delivery as ProjectionWriter hands it to the projections: a sign-up with the user's personal data. */
export function withPersonalData(delivery: ProjectedEvent): ProjectedEvent {
  if (delivery.event.type !== 'UserSignedUp') return delivery;
  const person = fixturePeople.get(delivery.event.data.userId);
  return { ...delivery, personalData: person ? { userId: delivery.event.data.userId, ...person } : null };
}

export interface UserHistory {
  readonly userId: string;
  /** In the order the events happened. */
  readonly events: readonly ProjectableEvent[];
  /** What the read model must answer once it has seen all of them, in any order. */
  readonly expected: {
    readonly overview: UserOverviewView;
    readonly orders: UserOrderView[];
    readonly timeline: TimelineItemView[];
  };
}

/**
 * One user's life in the shop: sign-up with newsletter opt-in, welcome email, three orders (one of
 * them cancelled), and an unsubscribe. Every event has its own time, so the timeline order is fixed.
 */
export function userHistory(userId: string = randomUUID(), email = `user-${userId.slice(0, 8)}@example.com`): UserHistory {
  const [orderA, orderB, orderC] = [randomUUID(), randomUUID(), randomUUID()];
  fixturePeople.set(userId, { email, name: 'Ann Example' });
  const mug = { sku: 'MUG', quantity: 2, unitPriceCents: 1250 };
  const tee = { sku: 'TEE', quantity: 1, unitPriceCents: 1000 };
  const events = [
    envelope(UserSignedUpV1, { userId, email, name: 'Ann Example', newsletterOptIn: true, occurredAt: at(0) }, { aggregateId: userId, occurredAt: at(0) }),
    envelope(NewsletterSubscribedV1, { userId, reason: 'signup', subscribedAt: at(1) }, { aggregateId: userId, occurredAt: at(1) }),
    envelope(WelcomeEmailSentV1, { userId, sentAt: at(2) }, { aggregateId: userId, occurredAt: at(2) }),
    envelope(
      OrderPlacedV1,
      { orderId: orderA, userId, items: [mug, tee], totalCents: 3500, placedAt: at(10), orderVersion: 1 },
      { aggregateId: orderA, occurredAt: at(10) },
    ),
    envelope(
      OrderPlacedV1,
      { orderId: orderB, userId, items: [tee], totalCents: 1000, placedAt: at(20), orderVersion: 1 },
      { aggregateId: orderB, occurredAt: at(20) },
    ),
    envelope(OrderCancelledV1, { orderId: orderB, userId, totalCents: 1000, cancelledAt: at(30), orderVersion: 2 }, { aggregateId: orderB, occurredAt: at(30) }),
    envelope(NewsletterUnsubscribedV1, { userId, via: 'link', unsubscribedAt: at(40) }, { aggregateId: userId, occurredAt: at(40) }),
    envelope(
      OrderPlacedV1,
      { orderId: orderC, userId, items: [mug], totalCents: 2500, placedAt: at(50), orderVersion: 1 },
      { aggregateId: orderC, occurredAt: at(50) },
    ),
  ];
  return {
    userId,
    events,
    expected: {
      overview: {
        id: userId,
        email,
        name: 'Ann Example',
        signedUpAt: at(0),
        welcomeEmailSentAt: at(2),
        newsletter: { status: 'unsubscribed', since: at(40) },
        // A and C are placed; B was cancelled.
        orderCount: 2,
        totalSpentCents: 3500 + 2500,
      },
      orders: [
        { id: orderC, status: 'placed', totalCents: 2500, items: [mug], placedAt: at(50), cancelledAt: null },
        { id: orderB, status: 'cancelled', totalCents: 1000, items: [tee], placedAt: at(20), cancelledAt: at(30) },
        { id: orderA, status: 'placed', totalCents: 3500, items: [mug, tee], placedAt: at(10), cancelledAt: null },
      ],
      timeline: events.map((event) => ({
        eventId: event.id,
        type: event.type,
        version: 1,
        occurredAt: event.occurredAt,
        correlationId: event.correlationId,
        source: event.source,
      })),
    },
  };
}

/** A deterministic pseudo-random generator (mulberry32), so a failing shuffle can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The items shuffled, each one possibly repeated (up to three copies), as a flaky bus might deliver them. */
export function shuffledWithDuplicates<T>(items: readonly T[], random: () => number): T[] {
  const copies = items.flatMap((item) => Array.from({ length: 1 + Math.floor(random() * 3) }, () => item));
  for (let i = copies.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copies[i], copies[j]] = [copies[j] as T, copies[i] as T];
  }
  return copies;
}
