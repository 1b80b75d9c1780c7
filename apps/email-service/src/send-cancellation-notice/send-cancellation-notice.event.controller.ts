import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { OrderCancelledV1 } from '@eventshop/contracts';
import { JetStreamContext, OnEvent } from '@eventshop/messaging';
import { SMTP_DEPENDENCY } from '../mail/infrastructure/breaker-guarded-mailer.js';
import { SEND_CANCELLATION_NOTICE, SendCancellationNoticeHandler } from './send-cancellation-notice.handler.js';

@Controller()
export class SendCancellationNoticeEventController {
  constructor(private readonly handler: SendCancellationNoticeHandler) {}

  /** Consumer group `email-service__send-cancellation-notice`. */
  @OnEvent(OrderCancelledV1, { handler: SEND_CANCELLATION_NOTICE, retry: { maxAttempts: 10 }, pauseWhileDown: SMTP_DEPENDENCY })
  async onOrderCancelled(@Payload() event: OrderCancelledV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(event, context.once);
  }
}
