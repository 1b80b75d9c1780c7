import { Injectable } from '@nestjs/common';
import { type SubscriptionStatus, toSubscriptionStatus } from '../subscriptions/domain/subscription.js';
import { SubscriptionCommands } from '../subscriptions/infrastructure/subscription-commands.js';

/**
 * Subscribes a signed-in user (again): `NewsletterSubscribed` with reason `resubscribe`. Works before
 * the user's sign-up has reached this service too; that sign-up then no longer changes anything.
 * Idempotent: for a user already subscribed it changes and publishes nothing.
 */
@Injectable()
export class ResubscribeHandler {
  constructor(private readonly subscriptions: SubscriptionCommands) {}

  async execute(userId: string): Promise<SubscriptionStatus> {
    return toSubscriptionStatus(await this.subscriptions.run(userId, { type: 'Subscribe', userId, at: new Date() }));
  }
}
