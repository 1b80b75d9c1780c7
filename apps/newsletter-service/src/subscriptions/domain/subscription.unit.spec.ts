import { describe, expect, it } from '@jest/globals';
import { fold } from '@eventshop/domain';
import {
  decide,
  evolve,
  type Subscription,
  type SubscriptionCommand,
  subscriptionDecider,
  type SubscriptionEvent,
  toSubscriptionStatus,
} from './subscription.js';

const userId = '7f1c8d1e-4a8e-4b39-9d59-2f0b5e3f9a10';
const earlier = new Date('2025-01-01T10:00:00.000Z');
const now = new Date('2025-02-01T10:00:00.000Z');
const subscribedOne: Subscription = { userId, subscribed: true, since: earlier };
const unsubscribedOne: Subscription = { userId, subscribed: false, since: earlier };

const signUp = (optedIn: boolean): SubscriptionCommand => ({ type: 'RecordSignUp', userId, optedIn, at: now });
const subscribe: SubscriptionCommand = { type: 'Subscribe', userId, at: now };
const unsubscribe = (via: 'link' | 'account' = 'link'): SubscriptionCommand => ({ type: 'Unsubscribe', userId, via, at: now });

/** The subscription a command leaves, as the runner stores it. */
const after = (command: SubscriptionCommand, state: Subscription | null) => fold(subscriptionDecider, decide(command, state), state);

describe('decide: sign-up', () => {
  it('subscribes a user who opted in, for the reason "signup"', () => {
    expect(decide(signUp(true), null)).toEqual([{ type: 'NewsletterSubscribed', data: { userId, reason: 'signup', subscribedAt: now } }]);
    expect(after(signUp(true), null)).toEqual({ userId, subscribed: true, since: now });
  });

  it('decides nothing (stores nothing) for a user who opted out', () => {
    expect(decide(signUp(false), null)).toEqual([]);
    expect(after(signUp(false), null)).toBeNull();
  });

  it.each([
    ['an unsubscribe', unsubscribedOne],
    ['a subscribe', subscribedOne],
  ])('never overrides %s recorded before the sign-up arrived', (_, current) => {
    expect(decide(signUp(true), current)).toEqual([]);
    expect(decide(signUp(false), current)).toEqual([]);
  });
});

describe('decide: subscribe', () => {
  it('brings back an unsubscribed user, for the reason "resubscribe"', () => {
    expect(decide(subscribe, unsubscribedOne)).toEqual([{ type: 'NewsletterSubscribed', data: { userId, reason: 'resubscribe', subscribedAt: now } }]);
    expect(after(subscribe, unsubscribedOne)).toEqual({ userId, subscribed: true, since: now });
  });

  it('subscribes a user it has no subscription for (opted out, or sign-up not arrived yet)', () => {
    expect(decide(subscribe, null)).toEqual([{ type: 'NewsletterSubscribed', data: { userId, reason: 'resubscribe', subscribedAt: now } }]);
  });

  it('changes nothing for a user already subscribed, and keeps their original date', () => {
    expect(decide(subscribe, subscribedOne)).toEqual([]);
    expect(after(subscribe, subscribedOne)).toBe(subscribedOne);
  });
});

describe('decide: unsubscribe', () => {
  it.each(['link', 'account'] as const)('ends a subscription via %s', (via) => {
    expect(decide(unsubscribe(via), subscribedOne)).toEqual([{ type: 'NewsletterUnsubscribed', data: { userId, via, unsubscribedAt: now } }]);
    expect(after(unsubscribe(via), subscribedOne)).toEqual({ userId, subscribed: false, since: now });
  });

  it('changes nothing for a user already unsubscribed: a second click announces nothing', () => {
    expect(decide(unsubscribe(), unsubscribedOne)).toEqual([]);
  });

  it('remembers the wish of a user with no subscription yet as declined, not as an ended subscription', () => {
    expect(decide(unsubscribe(), null)).toEqual([{ type: 'NewsletterDeclined', data: { userId, via: 'link', declinedAt: now } }]);
    expect(after(unsubscribe(), null)).toEqual({ userId, subscribed: false, since: now });
  });

  it('lets no later sign-up subscribe a user who declined', () => {
    const declined = after(unsubscribe(), null);
    expect(decide(signUp(true), declined)).toEqual([]);
  });
});

describe('evolve', () => {
  it.each<[SubscriptionEvent, boolean]>([
    [{ type: 'NewsletterSubscribed', data: { userId, reason: 'signup', subscribedAt: now } }, true],
    [{ type: 'NewsletterUnsubscribed', data: { userId, via: 'account', unsubscribedAt: now } }, false],
    [{ type: 'NewsletterDeclined', data: { userId, via: 'link', declinedAt: now } }, false],
  ])('sets whether the user is subscribed, and since when (%o)', (event, subscribed) => {
    expect(evolve(subscribedOne, event)).toEqual({ userId, subscribed, since: now });
    expect(subscribedOne.since).toBe(earlier); // the state given is left as it was
  });

  it('starts from no subscription', () => {
    expect(subscriptionDecider.initialState).toBeNull();
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
