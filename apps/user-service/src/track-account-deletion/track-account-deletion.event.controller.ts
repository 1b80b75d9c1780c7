import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { CustomerAnonymisedV1, NewsletterSubscriberForgottenV1, RecipientForgottenV1, UserViewsDroppedV1 } from '@eventshop/contracts';
import { JetStreamContext, OnEvent } from '@eventshop/messaging';
import {
  RECORD_CUSTOMER_ANONYMISED,
  RECORD_NEWSLETTER_FORGOTTEN,
  RECORD_RECIPIENT_FORGOTTEN,
  RECORD_USER_VIEWS_DROPPED,
  TrackAccountDeletionHandler,
} from './track-account-deletion.handler.js';

/** The participants' answers to AccountDeletionRequested, one consumer group each. */
@Controller()
export class TrackAccountDeletionEventController {
  constructor(private readonly handler: TrackAccountDeletionHandler) {}

  @OnEvent(NewsletterSubscriberForgottenV1, { handler: RECORD_NEWSLETTER_FORGOTTEN })
  async onNewsletterSubscriberForgotten(@Payload() event: NewsletterSubscriberForgottenV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute({ userId: event.data.userId, participant: 'newsletter', at: new Date(event.data.forgottenAt) }, context.once);
  }

  @OnEvent(RecipientForgottenV1, { handler: RECORD_RECIPIENT_FORGOTTEN })
  async onRecipientForgotten(@Payload() event: RecipientForgottenV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute({ userId: event.data.userId, participant: 'email', at: new Date(event.data.forgottenAt) }, context.once);
  }

  @OnEvent(CustomerAnonymisedV1, { handler: RECORD_CUSTOMER_ANONYMISED })
  async onCustomerAnonymised(@Payload() event: CustomerAnonymisedV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute({ userId: event.data.userId, participant: 'order', at: new Date(event.data.anonymisedAt) }, context.once);
  }

  @OnEvent(UserViewsDroppedV1, { handler: RECORD_USER_VIEWS_DROPPED })
  async onUserViewsDropped(@Payload() event: UserViewsDroppedV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute({ userId: event.data.userId, participant: 'read-model', at: new Date(event.data.droppedAt) }, context.once);
  }
}
