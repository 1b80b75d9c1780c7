import { describe, expect, it } from '@jest/globals';
import { decide, type Subscription, toSubscriptionStatus } from './subscription.js';

const userId = '7f1c8d1e-4a8e-4b39-9d59-2f0b5e3f9a10';
const earlier = new Date('2025-01-01T10:00:00.000Z');
const now = new Date('2025-02-01T10:00:00.000Z');
const subscribedOne: Subscription = { userId, subscribed: true, since: earlier };
const unsubscribedOne: Subscription = { userId, subscribed: false, since: earlier };

describe('decide: sign-up', () => {
  it('subscribes a user who opted in, for the reason "signup"', () => {
    expect(decide(userId, null, { kind: 'sign-up', optedIn: true, at: now })).toEqual({
      next: { userId, subscribed: true, since: now },
      event: { type: 'subscribed', userId, reason: 'signup', at: now },
    });
  });

  it('stores nothing for a user who opted out', () => {
    expect(decide(userId, null, { kind: 'sign-up', optedIn: false, at: now })).toBeNull();
  });

  it.each([
    ['an unsubscribe', unsubscribedOne],
    ['a subscribe', subscribedOne],
  ])('never overrides %s recorded before the sign-up arrived', (_, current) => {
    expect(decide(userId, current, { kind: 'sign-up', optedIn: true, at: now })).toBeNull();
    expect(decide(userId, current, { kind: 'sign-up', optedIn: false, at: now })).toBeNull();
  });
});

describe('decide: subscribe', () => {
  it('brings back an unsubscribed user, for the reason "resubscribe"', () => {
    expect(decide(userId, unsubscribedOne, { kind: 'subscribe', at: now })).toEqual({
      next: { userId, subscribed: true, since: now },
      event: { type: 'subscribed', userId, reason: 'resubscribe', at: now },
    });
  });

  it('subscribes a user it has no subscription for (opted out, or sign-up not arrived yet)', () => {
    expect(decide(userId, null, { kind: 'subscribe', at: now })?.event).toEqual({
      type: 'subscribed',
      userId,
      reason: 'resubscribe',
      at: now,
    });
  });

  it('changes nothing for a user already subscribed, and keeps their original date', () => {
    expect(decide(userId, subscribedOne, { kind: 'subscribe', at: now })).toBeNull();
  });
});

describe('decide: unsubscribe', () => {
  it.each(['link', 'account'] as const)('ends a subscription via %s', (via) => {
    expect(decide(userId, subscribedOne, { kind: 'unsubscribe', via, at: now })).toEqual({
      next: { userId, subscribed: false, since: now },
      event: { type: 'unsubscribed', userId, via, at: now },
    });
  });

  it('changes nothing for a user already unsubscribed: a second click announces nothing', () => {
    expect(decide(userId, unsubscribedOne, { kind: 'unsubscribe', via: 'link', at: now })).toBeNull();
  });

  it('remembers the wish of a user with no subscription yet, without announcing an end that did not happen', () => {
    expect(decide(userId, null, { kind: 'unsubscribe', via: 'link', at: now })).toEqual({
      next: { userId, subscribed: false, since: now },
      event: null,
    });
  });
});

describe('toSubscriptionStatus', () => {
  it('shows the state and since when it holds', () => {
    expect(toSubscriptionStatus(subscribedOne)).toEqual({ subscribed: true, since: earlier.toISOString() });
    expect(toSubscriptionStatus(unsubscribedOne)).toEqual({ subscribed: false, since: earlier.toISOString() });
  });

  it('shows a user without a subscription as never subscribed', () => {
    expect(toSubscriptionStatus(null)).toEqual({ subscribed: false, since: null });
  });
});
