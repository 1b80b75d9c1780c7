import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { upcastUserSignedUp, UserSignedUpV1, UserSignedUpV2 } from '@eventshop/contracts';
import { JetStreamContext, OnEvent } from '@eventshop/messaging';
import { SUBSCRIBE_OPTED_IN_USERS, SUBSCRIBE_OPTED_IN_USERS_V2, SubscribeOptedInUsersHandler } from './subscribe-opted-in-users.handler.js';

@Controller()
export class SubscribeOptedInUsersEventController {
  constructor(private readonly handler: SubscribeOptedInUsersHandler) {}

  /** Consumer group `newsletter-service__subscribe-opted-in-users`. */
  @OnEvent(UserSignedUpV1, { handler: SUBSCRIBE_OPTED_IN_USERS })
  async onUserSignedUp(@Payload() event: UserSignedUpV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(upcastUserSignedUp(event), context.once);
  }

  /** Consumer group `newsletter-service__subscribe-opted-in-users-v2`. */
  @OnEvent(UserSignedUpV2, { handler: SUBSCRIBE_OPTED_IN_USERS_V2 })
  async onUserSignedUpV2(@Payload() event: UserSignedUpV2, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(event, context.once);
  }
}
