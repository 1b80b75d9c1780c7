import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OrderCancelledV1 } from '@eventshop/contracts';
import { OnEvent } from '@eventshop/messaging';
import { SMTP_DEPENDENCY } from '../mail/infrastructure/breaker-guarded-mailer.js';
import { cancellationNoticeEmail } from '../mail/domain/templates.js';
import { RecipientRepository } from '../mail/infrastructure/recipient.repository.js';
import { SendOnce } from '../mail/infrastructure/send-once.js';

const SEND_CANCELLATION_NOTICE = 'send-cancellation-notice';

@Controller()
export class SendCancellationNoticeEventController {
  constructor(
    private readonly recipients: RecipientRepository,
    private readonly sendOnce: SendOnce,
  ) {}

  @OnEvent(OrderCancelledV1, { handler: SEND_CANCELLATION_NOTICE, retry: { maxAttempts: 10 }, pauseWhileDown: SMTP_DEPENDENCY })
  async onOrderCancelled(@Payload() event: OrderCancelledV1): Promise<void> {
    const recipient = await this.recipients.get(event.data.userId);
    const mail = cancellationNoticeEmail({ eventId: event.id, ...recipient, ...event.data });
    await this.sendOnce.send(SEND_CANCELLATION_NOTICE, 'order-cancellation', event, mail);
  }
}
