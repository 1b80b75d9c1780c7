import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { UserSignedUpV1 } from '@eventshop/contracts';
import { JetStreamContext, OnEvent } from '@eventshop/messaging';
import { SUBSCRIBE_OPTED_IN_USERS, SubscribeOptedInUsersHandler } from './subscribe-opted-in-users.handler.js';

@Controller()
export class SubscribeOptedInUsersEventController {
  constructor(private readonly handler: SubscribeOptedInUsersHandler) {}

  /** Consumer group `newsletter-service__subscribe-opted-in-users`. */
  @OnEvent(UserSignedUpV1, { handler: SUBSCRIBE_OPTED_IN_USERS })
  async onUserSignedUp(@Payload() event: UserSignedUpV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(event, context.once);
  }
}
