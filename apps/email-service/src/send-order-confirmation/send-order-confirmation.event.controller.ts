import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { OrderPlacedV1 } from '@eventshop/contracts';
import { JetStreamContext, OnEvent } from '@eventshop/messaging';
import { SMTP_DEPENDENCY } from '../mail/infrastructure/breaker-guarded-mailer.js';
import { SEND_ORDER_CONFIRMATION, SendOrderConfirmationHandler } from './send-order-confirmation.handler.js';

@Controller()
export class SendOrderConfirmationEventController {
  constructor(private readonly handler: SendOrderConfirmationHandler) {}

  /** Consumer group `email-service__send-order-confirmation`; more attempts, as the sign-up may still be on its way. */
  @OnEvent(OrderPlacedV1, { handler: SEND_ORDER_CONFIRMATION, retry: { maxAttempts: 10 }, pauseWhileDown: SMTP_DEPENDENCY })
  async onOrderPlaced(@Payload() event: OrderPlacedV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(event, context.once);
  }
}
