import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { AccountDeletionRequestedV1 } from '@eventshop/contracts';
import { JetStreamContext, OnEvent } from '@eventshop/messaging';
import { SMTP_DEPENDENCY } from '../mail/infrastructure/breaker-guarded-mailer.js';
import { FORGET_RECIPIENT, ForgetRecipientHandler } from './forget-recipient.handler.js';

@Controller()
export class ForgetRecipientEventController {
  constructor(private readonly handler: ForgetRecipientHandler) {}

  /** Consumer group `email-service__forget-recipient`; waits out an SMTP outage like the other mails. */
  @OnEvent(AccountDeletionRequestedV1, { handler: FORGET_RECIPIENT, retry: { maxAttempts: 8 }, pauseWhileDown: SMTP_DEPENDENCY })
  async onAccountDeletionRequested(@Payload() event: AccountDeletionRequestedV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(event, context.once);
  }
}
