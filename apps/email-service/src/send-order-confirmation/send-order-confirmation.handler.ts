import { Injectable } from '@nestjs/common';
import type { OrderPlacedV1 } from '@eventshop/contracts';
import type { HandleOnce } from '@eventshop/messaging';
import { orderConfirmationEmail } from '../mail/domain/templates.js';
import { RecipientRepository } from '../mail/infrastructure/recipient.repository.js';
import { SentEmails } from '../mail/infrastructure/sent-emails.js';

/** The handler's stable name: with the service name it forms the consumer group `email-service__send-order-confirmation`. */
export const SEND_ORDER_CONFIRMATION = 'send-order-confirmation';

/**
 * Sends the confirmation of a placed order once. An unknown recipient (their sign-up has not
 * arrived yet) is a transient error: the event is retried with backoff until it has.
 */
@Injectable()
export class SendOrderConfirmationHandler {
  constructor(
    private readonly recipients: RecipientRepository,
    private readonly sentEmails: SentEmails,
  ) {}

  async execute(event: OrderPlacedV1, once: HandleOnce): Promise<{ sent: boolean }> {
    const recipient = await this.recipients.get(event.data.userId);
    // The account was deleted (an order that raced the deletion): nobody to write to any more.
    if (!recipient) return { sent: false };
    const mail = orderConfirmationEmail({ eventId: event.id, ...recipient, ...event.data });
    return this.sentEmails.sendOnce(once, { kind: 'order-confirmation', event, email: mail, unlessForgotten: event.data.userId });
  }
}
