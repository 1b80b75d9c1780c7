import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OrderPlacedV1 } from '@eventshop/contracts';
import { OnEvent } from '@eventshop/messaging';
import { SMTP_DEPENDENCY } from '../mail/infrastructure/breaker-guarded-mailer.js';
import { orderConfirmationEmail } from '../mail/domain/templates.js';
import { RecipientRepository } from '../mail/infrastructure/recipient.repository.js';
import { SendOnce } from '../mail/infrastructure/send-once.js';

const SEND_ORDER_CONFIRMATION = 'send-order-confirmation';

@Controller()
export class SendOrderConfirmationEventController {
  constructor(
    private readonly recipients: RecipientRepository,
    private readonly sendOnce: SendOnce,
  ) {}

  /** An unknown recipient is a transient error: retried with backoff until the sign-up arrives. */
  @OnEvent(OrderPlacedV1, { handler: SEND_ORDER_CONFIRMATION, retry: { maxAttempts: 10 }, pauseWhileDown: SMTP_DEPENDENCY })
  async onOrderPlaced(@Payload() event: OrderPlacedV1): Promise<void> {
    const recipient = await this.recipients.get(event.data.userId);
    const mail = orderConfirmationEmail({ eventId: event.id, ...recipient, ...event.data });
    await this.sendOnce.send(SEND_ORDER_CONFIRMATION, 'order-confirmation', event, mail);
  }
}
