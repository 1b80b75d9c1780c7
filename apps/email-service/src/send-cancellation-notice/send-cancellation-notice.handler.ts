import { Injectable } from '@nestjs/common';
import type { OrderCancelledV1 } from '@eventshop/contracts';
import type { HandleOnce } from '@eventshop/messaging';
import { cancellationNoticeEmail } from '../mail/domain/templates.js';
import { RecipientRepository } from '../mail/infrastructure/recipient.repository.js';
import { SentEmails } from '../mail/infrastructure/sent-emails.js';

/** The handler's stable name: with the service name it forms the consumer group `email-service__send-cancellation-notice`. */
export const SEND_CANCELLATION_NOTICE = 'send-cancellation-notice';

/** Tells the customer, once, that their order was cancelled. */
@Injectable()
export class SendCancellationNoticeHandler {
  constructor(
    private readonly recipients: RecipientRepository,
    private readonly sentEmails: SentEmails,
  ) {}

  async execute(event: OrderCancelledV1, once: HandleOnce): Promise<{ sent: boolean }> {
    const recipient = await this.recipients.get(event.data.userId);
    // The account was deleted (an order that raced the deletion): nobody to write to any more.
    if (!recipient) return { sent: false };
    const mail = cancellationNoticeEmail({ eventId: event.id, ...recipient, ...event.data });
    return this.sentEmails.sendOnce(once, { kind: 'order-cancellation', event, email: mail, unlessForgotten: event.data.userId });
  }
}
