import { Injectable } from '@nestjs/common';
import { type SubscriptionStatus, toSubscriptionStatus } from '../subscriptions/domain/subscription.js';
import { SubscriptionChanges } from '../subscriptions/infrastructure/subscription-changes.js';

/**
 * Subscribes a signed-in user (again): `NewsletterSubscribed` with reason `resubscribe`. Works before
 * the user's sign-up has reached this service too; that sign-up then no longer changes anything.
 * Idempotent: for a user already subscribed it changes and publishes nothing.
 */
@Injectable()
export class ResubscribeHandler {
  constructor(private readonly changes: SubscriptionChanges) {}

  async execute(userId: string): Promise<SubscriptionStatus> {
    return toSubscriptionStatus(await this.changes.apply(userId, { kind: 'subscribe', at: new Date() }));
  }
}
