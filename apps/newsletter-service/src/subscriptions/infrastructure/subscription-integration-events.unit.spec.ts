import { describe, expect, it } from '@jest/globals';
import { NewsletterSubscribedV1, NewsletterUnsubscribedV1 } from '@eventshop/contracts';
import { subscriptionIntegrationEvents } from './subscription-integration-events.js';

const userId = '7f1c8d1e-4a8e-4b39-9d59-2f0b5e3f9a10';
const at = new Date('2025-02-01T10:00:00.000Z');

describe('subscriptionIntegrationEvents', () => {
  it('announces a subscription that began, keyed by the user', () => {
    expect(subscriptionIntegrationEvents({ type: 'NewsletterSubscribed', data: { userId, reason: 'signup', subscribedAt: at } })).toEqual([
      { contract: NewsletterSubscribedV1, data: { userId, reason: 'signup', subscribedAt: at.toISOString() }, aggregateId: userId },
    ]);
  });

  it('announces a subscription that ended', () => {
    expect(subscriptionIntegrationEvents({ type: 'NewsletterUnsubscribed', data: { userId, via: 'link', unsubscribedAt: at } })).toEqual([
      { contract: NewsletterUnsubscribedV1, data: { userId, via: 'link', unsubscribedAt: at.toISOString() }, aggregateId: userId },
    ]);
  });

  it('announces nothing when a user without a subscription declines: none ended', () => {
    expect(subscriptionIntegrationEvents({ type: 'NewsletterDeclined', data: { userId, via: 'account', declinedAt: at } })).toEqual([]);
  });
});
