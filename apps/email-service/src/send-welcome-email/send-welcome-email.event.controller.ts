import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { upcastUserSignedUp, UserSignedUpV1, UserSignedUpV2 } from '@eventshop/contracts';
import { JetStreamContext, OnEvent } from '@eventshop/messaging';
import { SMTP_DEPENDENCY } from '../mail/infrastructure/breaker-guarded-mailer.js';
import { SEND_WELCOME_EMAIL, SEND_WELCOME_EMAIL_V2, SendWelcomeEmailHandler } from './send-welcome-email.handler.js';

@Controller()
export class SendWelcomeEmailEventController {
  constructor(private readonly handler: SendWelcomeEmailHandler) {}

  /** Consumer group `email-service__send-welcome-email`: replicas share the sign-ups. */
  @OnEvent(UserSignedUpV1, { handler: SEND_WELCOME_EMAIL, retry: { maxAttempts: 10 }, pauseWhileDown: SMTP_DEPENDENCY })
  async onUserSignedUp(@Payload() event: UserSignedUpV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(upcastUserSignedUp(event), context.once);
  }

  /** Consumer group `email-service__send-welcome-email-v2`: the sign-ups that carry no personal data. */
  @OnEvent(UserSignedUpV2, { handler: SEND_WELCOME_EMAIL_V2, retry: { maxAttempts: 10 }, pauseWhileDown: SMTP_DEPENDENCY })
  async onUserSignedUpV2(@Payload() event: UserSignedUpV2, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(event, context.once);
  }
}
