import { Injectable } from '@nestjs/common';
import { type SubscriptionStatus, toSubscriptionStatus } from '../subscriptions/domain/subscription.js';
import { SubscriptionCommands } from '../subscriptions/infrastructure/subscription-commands.js';

/**
 * Unsubscribes a signed-in user: `NewsletterUnsubscribed` via `account`. Idempotent. Before the
 * user's sign-up has reached this service the wish is recorded (nothing is announced, as no
 * subscription ended) and that sign-up then cannot subscribe them.
 */
@Injectable()
export class UnsubscribeFromAccountHandler {
  constructor(private readonly subscriptions: SubscriptionCommands) {}

  async execute(userId: string): Promise<SubscriptionStatus> {
    return toSubscriptionStatus(await this.subscriptions.run(userId, { type: 'Unsubscribe', userId, via: 'account', at: new Date() }));
  }
}
