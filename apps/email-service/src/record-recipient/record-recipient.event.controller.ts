import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { UserSignedUpV1 } from '@eventshop/contracts';
import { JetStreamContext, OnEvent } from '@eventshop/messaging';
import { RECORD_RECIPIENT, RecordRecipientHandler } from './record-recipient.handler.js';

@Controller()
export class RecordRecipientEventController {
  constructor(private readonly handler: RecordRecipientHandler) {}

  /** Consumer group `email-service__record-recipient`. */
  @OnEvent(UserSignedUpV1, { handler: RECORD_RECIPIENT })
  async onUserSignedUp(@Payload() event: UserSignedUpV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(event, context.once);
  }
}
