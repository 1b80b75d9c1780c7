import { NewsletterSubscribedV1, NewsletterUnsubscribedV1 } from '@eventshop/contracts';
import { type IntegrationEvent, integrationEvent } from '@eventshop/messaging';
import type { SubscriptionEvent } from '../domain/subscription.js';

/**
 * What the rest of the shop is told about one subscription event. The runner stages it in the outbox
 * in the transaction that stores the subscription. Keyed by user: every event about one subscription
 * keeps its order on the bus.
 */
export function subscriptionIntegrationEvents(event: SubscriptionEvent): IntegrationEvent[] {
  switch (event.type) {
    case 'NewsletterSubscribed': {
      const { userId, reason, subscribedAt } = event.data;
      return [integrationEvent(NewsletterSubscribedV1, { userId, reason, subscribedAt: subscribedAt.toISOString() }, { aggregateId: userId })];
    }
    case 'NewsletterUnsubscribed': {
      const { userId, via, unsubscribedAt } = event.data;
      return [integrationEvent(NewsletterUnsubscribedV1, { userId, via, unsubscribedAt: unsubscribedAt.toISOString() }, { aggregateId: userId })];
    }
    case 'NewsletterDeclined':
      // No subscription ended: there is nothing to announce.
      return [];
  }
}
