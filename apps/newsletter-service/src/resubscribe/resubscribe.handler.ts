import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isForgotten } from '@eventshop/platform';
import { type SubscriptionStatus, toSubscriptionStatus } from '../subscriptions/domain/subscription.js';
import { SubscriptionCommands } from '../subscriptions/infrastructure/subscription-commands.js';
import { SubscriptionCreatedConcurrentlyError } from '../subscriptions/infrastructure/subscription.repository.js';

/** The caller's account was deleted: their access token outlives it, but they subscribe to nothing. */
export class SubscriberForgottenError extends Error {
  constructor() {
    super('This account was deleted');
    this.name = 'SubscriberForgottenError';
  }
}

/**
 * Subscribes a signed-in user (again): `NewsletterSubscribed` with reason `resubscribe`. Works before
 * the user's sign-up has reached this service too; that sign-up then no longer changes anything.
 * Idempotent: for a user already subscribed it changes and publishes nothing. A user whose account
 * was deleted is refused, checked in the same transaction under the deletion's per-user lock.
 */
@Injectable()
export class ResubscribeHandler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly subscriptions: SubscriptionCommands,
  ) {}

  async execute(userId: string): Promise<SubscriptionStatus> {
    try {
      return await this.subscribe(userId);
    } catch (error) {
      // A concurrent first subscription created the row: once more, and the row lock orders the two.
      if (!(error instanceof SubscriptionCreatedConcurrentlyError)) throw error;
      return this.subscribe(userId);
    }
  }

  private subscribe(userId: string): Promise<SubscriptionStatus> {
    return this.dataSource.transaction(async (transaction) => {
      if (await isForgotten(transaction, userId)) throw new SubscriberForgottenError();
      return toSubscriptionStatus(await this.subscriptions.runWithin(transaction, userId, { type: 'Subscribe', userId, at: new Date() }));
    });
  }
}
