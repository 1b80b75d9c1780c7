import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { NewsletterSubscribedV1, NewsletterUnsubscribedV1 } from '@eventshop/contracts';
import { EventBus } from '@eventshop/messaging';
import { decide, type Subscription, type SubscriptionCommand, type SubscriptionEvent } from '../domain/subscription.js';
import { SubscriptionCreatedConcurrentlyError, SubscriptionRepository } from './subscription.repository.js';

/**
 * The one way a subscription changes: read it under a row lock, let the domain `decide`, store the
 * result and publish its event through the outbox, all in one transaction. Two racing commands for
 * one user therefore run one after the other and the second sees the first's result, so two clicks
 * on an unsubscribe link publish one `NewsletterUnsubscribed`, never two.
 */
@Injectable()
export class SubscriptionChanges {
  constructor(
    private readonly dataSource: DataSource,
    private readonly subscriptions: SubscriptionRepository,
    private readonly eventBus: EventBus,
  ) {}

  /**
   * Applies `command` in a transaction of its own and resolves to the subscription as it now stands
   * (null: the user has none). If the user had no row and a concurrent command created it first,
   * this runs once more: the row exists by then, so the lock orders the two like any others.
   */
  async apply(userId: string, command: SubscriptionCommand): Promise<Subscription | null> {
    const attempt = () => this.dataSource.transaction((transaction) => this.applyWithin(transaction, userId, command));
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof SubscriptionCreatedConcurrentlyError)) throw error;
      return attempt();
    }
  }

  /**
   * Applies `command` inside the caller's transaction (an event handler's `HandleOnce`). A lost
   * creation race throws `SubscriptionCreatedConcurrentlyError`; the bus then redelivers the event.
   */
  async applyWithin(transaction: EntityManager, userId: string, command: SubscriptionCommand): Promise<Subscription | null> {
    const current = await this.subscriptions.lockForUpdate(transaction, userId);
    const transition = decide(userId, current, command);
    if (!transition) return current;
    if (current) await this.subscriptions.update(transaction, transition.next);
    else await this.subscriptions.insert(transaction, transition.next);
    if (transition.event) await this.announce(transaction, transition.event);
    return transition.next;
  }

  private async announce(transaction: EntityManager, event: SubscriptionEvent): Promise<void> {
    // Keyed by user: every event about one subscription keeps its order on the bus.
    const options = { aggregateId: event.userId };
    if (event.type === 'subscribed') {
      const data = { userId: event.userId, reason: event.reason, subscribedAt: event.at.toISOString() };
      await this.eventBus.publish(transaction, NewsletterSubscribedV1, data, options);
    } else {
      const data = { userId: event.userId, via: event.via, unsubscribedAt: event.at.toISOString() };
      await this.eventBus.publish(transaction, NewsletterUnsubscribedV1, data, options);
    }
  }
}
