import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { upcastUserSignedUp, UserSignedUpV1, UserSignedUpV2 } from '@eventshop/contracts';
import { JetStreamContext, OnEvent } from '@eventshop/messaging';
import { RECORD_RECIPIENT, RECORD_RECIPIENT_V2, RecordRecipientHandler } from './record-recipient.handler.js';

@Controller()
export class RecordRecipientEventController {
  constructor(private readonly handler: RecordRecipientHandler) {}

  /** Consumer group `email-service__record-recipient`: the legacy v1 sign-ups, upcast (their clear data is not used). */
  @OnEvent(UserSignedUpV1, { handler: RECORD_RECIPIENT, retry: { maxAttempts: 10 } })
  async onUserSignedUp(@Payload() event: UserSignedUpV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(upcastUserSignedUp(event), context.once);
  }

  /** Consumer group `email-service__record-recipient-v2`. Asks user-service: a long retry budget outlasts its restart. */
  @OnEvent(UserSignedUpV2, { handler: RECORD_RECIPIENT_V2, retry: { maxAttempts: 10 } })
  async onUserSignedUpV2(@Payload() event: UserSignedUpV2, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(event, context.once);
  }
}
