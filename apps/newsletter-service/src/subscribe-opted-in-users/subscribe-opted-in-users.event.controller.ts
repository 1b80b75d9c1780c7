import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { UserSignedUpV1 } from '@eventshop/contracts';
import { OnEvent, processOnce } from '@eventshop/messaging';
import { SubscriptionCommands } from '../subscriptions/infrastructure/subscription-commands.js';

export const SUBSCRIBE_OPTED_IN_USERS = 'subscribe-opted-in-users';

@Controller()
export class SubscribeOptedInUsersEventController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly subscriptions: SubscriptionCommands,
  ) {}

  /**
   * Consumer group `newsletter-service__subscribe-opted-in-users`. A user who opted in becomes
   * subscribed and `NewsletterSubscribed` (reason `signup`) is published in the same transaction as
   * the inbox row, so a redelivered sign-up changes and publishes nothing. Of the event only the user
   * id and the choice are kept: never the email or the name.
   */
  @OnEvent(UserSignedUpV1, { handler: SUBSCRIBE_OPTED_IN_USERS })
  async onUserSignedUp(@Payload() event: UserSignedUpV1): Promise<void> {
    const { userId, newsletterOptIn, occurredAt } = event.data;
    await processOnce(this.dataSource, SUBSCRIBE_OPTED_IN_USERS, event.id, (transaction) =>
      // The sign-up time is when the user gave their consent: the subscription starts then.
      this.subscriptions.runWithin(transaction, userId, { type: 'RecordSignUp', userId, optedIn: newsletterOptIn, at: new Date(occurredAt) }),
    );
  }
}
