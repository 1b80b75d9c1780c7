import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { AccountDeletionRequestedV1 } from '@eventshop/contracts';
import { JetStreamContext, OnEvent } from '@eventshop/messaging';
import { FORGET_SUBSCRIBER, ForgetSubscriberHandler } from './forget-subscriber.handler.js';

@Controller()
export class ForgetSubscriberEventController {
  constructor(private readonly handler: ForgetSubscriberHandler) {}

  /** Consumer group `newsletter-service__forget-subscriber`. */
  @OnEvent(AccountDeletionRequestedV1, { handler: FORGET_SUBSCRIBER })
  async onAccountDeletionRequested(@Payload() event: AccountDeletionRequestedV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(event, context.once);
  }
}
