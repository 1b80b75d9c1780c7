import { Injectable } from '@nestjs/common';
import { type SubscriptionStatus, toSubscriptionStatus } from '../subscriptions/domain/subscription.js';
import { SubscriptionChanges } from '../subscriptions/infrastructure/subscription-changes.js';

/**
 * Unsubscribes a signed-in user: `NewsletterUnsubscribed` via `account`. Idempotent. Before the
 * user's sign-up has reached this service the wish is recorded (nothing is announced, as no
 * subscription ended) and that sign-up then cannot subscribe them.
 */
@Injectable()
export class UnsubscribeFromAccountHandler {
  constructor(private readonly changes: SubscriptionChanges) {}

  async execute(userId: string): Promise<SubscriptionStatus> {
    return toSubscriptionStatus(await this.changes.apply(userId, { kind: 'unsubscribe', via: 'account', at: new Date() }));
  }
}
