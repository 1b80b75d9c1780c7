import { Injectable } from '@nestjs/common';
import type { UserSignedUpV2 } from '@eventshop/contracts';
import type { HandleOnce } from '@eventshop/messaging';
import { isForgotten } from '@eventshop/platform';
import { SubscriptionCommands } from '../subscriptions/infrastructure/subscription-commands.js';

/** The handler's stable name: with the service name it forms the consumer group `newsletter-service__subscribe-opted-in-users`. */
export const SUBSCRIBE_OPTED_IN_USERS = 'subscribe-opted-in-users';
export const SUBSCRIBE_OPTED_IN_USERS_V2 = 'subscribe-opted-in-users-v2';

/**
 * A user who opted in at sign-up becomes subscribed, and `NewsletterSubscribed` (reason `signup`) is
 * published in the same transaction as the inbox row, so a redelivered sign-up changes and
 * publishes nothing. Of the event only the user id and the choice are kept: never the email or the
 * name.
 */
@Injectable()
export class SubscribeOptedInUsersHandler {
  constructor(private readonly subscriptions: SubscriptionCommands) {}

  async execute(event: UserSignedUpV2, once: HandleOnce): Promise<{ applied: boolean }> {
    const { userId, newsletterOptIn, occurredAt } = event.data;
    const outcome = await once.run(async (transaction) => {
      // A sign-up that reaches this group after the account's deletion subscribes nobody.
      if (await isForgotten(transaction, userId)) return null;
      // The sign-up time is when the user gave their consent: the subscription starts then.
      return this.subscriptions.runWithin(transaction, userId, { type: 'RecordSignUp', userId, optedIn: newsletterOptIn, at: new Date(occurredAt) });
    });
    return { applied: outcome.processed };
  }
}
