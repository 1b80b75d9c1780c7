import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { UserSignedUpV1 } from '@eventshop/contracts';
import { JetStreamContext, OnEvent } from '@eventshop/messaging';
import { SMTP_DEPENDENCY } from '../mail/infrastructure/breaker-guarded-mailer.js';
import { SEND_WELCOME_EMAIL, SendWelcomeEmailHandler } from './send-welcome-email.handler.js';

@Controller()
export class SendWelcomeEmailEventController {
  constructor(private readonly handler: SendWelcomeEmailHandler) {}

  /** Consumer group `email-service__send-welcome-email`: replicas share the sign-ups. */
  @OnEvent(UserSignedUpV1, { handler: SEND_WELCOME_EMAIL, retry: { maxAttempts: 8 }, pauseWhileDown: SMTP_DEPENDENCY })
  async onUserSignedUp(@Payload() event: UserSignedUpV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(event, context.once);
  }
}
