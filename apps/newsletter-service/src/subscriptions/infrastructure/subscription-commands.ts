import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DeciderRunner, EventBus } from '@eventshop/messaging';
import {
  type Subscription,
  type SubscriptionCommand,
  subscriptionDecider,
  type SubscriptionEvent,
  type SubscriptionState,
} from '../domain/subscription.js';
import { SubscriptionCreatedConcurrentlyError, SubscriptionRepository } from './subscription.repository.js';
import { subscriptionIntegrationEvents } from './subscription-integration-events.js';

/**
 * The one way a subscription changes: the shared decider runner with the subscription decider, the
 * subscriptions table (`SubscriptionRepository`, which reads the row under a lock) and the newsletter
 * integration events. Two racing commands for one user therefore run one after the other and the
 * second sees the first's result, so two clicks on an unsubscribe link publish one
 * `NewsletterUnsubscribed`, never two.
 */
@Injectable()
export class SubscriptionCommands {
  private readonly runner: DeciderRunner<SubscriptionCommand, SubscriptionEvent, SubscriptionState>;

  constructor(dataSource: DataSource, eventBus: EventBus, subscriptions: SubscriptionRepository) {
    this.runner = new DeciderRunner(dataSource, eventBus, {
      decider: subscriptionDecider,
      store: subscriptions,
      integrationEventsOf: subscriptionIntegrationEvents,
    });
  }

  /**
   * Runs `command` in a transaction of its own and resolves to the subscription as it now stands
   * (null: the user has none). If the user had no row and a concurrent command created it first,
   * this runs once more: the row exists by then, so the lock orders the two like any others.
   */
  async run(userId: string, command: SubscriptionCommand): Promise<Subscription | null> {
    try {
      return await this.runner.run(userId, command);
    } catch (error) {
      if (!(error instanceof SubscriptionCreatedConcurrentlyError)) throw error;
      return this.runner.run(userId, command);
    }
  }

  /**
   * Runs `command` inside the caller's transaction (an event handler's `once.run`). A lost
   * creation race throws `SubscriptionCreatedConcurrentlyError`; the bus then redelivers the event.
   */
  runWithin(transaction: EntityManager, userId: string, command: SubscriptionCommand): Promise<Subscription | null> {
    return this.runner.runWithin(transaction, userId, command);
  }
}
