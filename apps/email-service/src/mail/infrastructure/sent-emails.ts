import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { EventEnvelope } from '@eventshop/contracts';
import type { HandleOnce } from '@eventshop/messaging';
import { MAILER, type Mailer, type OutgoingEmail } from '../domain/mailer.port.js';
import { SentEmailRecord } from './sent-email.record.js';

/** One email an event calls for: what kind, the event that caused it, the email itself. */
export interface EmailToSend {
  readonly kind: string;
  readonly event: EventEnvelope;
  readonly email: OutgoingEmail;
}

/**
 * Every email the service sends goes through here, so each is sent once per handler and event and
 * recorded in `sent_emails`. It is the bus's handle-once with an outside effect: the writes first
 * (the sent-email row, any follow-up event through the outbox, the inbox row), and only then the
 * SMTP send, as the last step before COMMIT. A failed send rolls everything back and the event is
 * retried; a crash between SMTP's "accepted" and our COMMIT sends the mail again on redelivery, with
 * the same Message-ID (derived from the event), so mailbox providers show it once.
 */
@Injectable()
export class SentEmails {
  constructor(@Inject(MAILER) private readonly mailer: Mailer) {}

  async sendOnce(
    once: HandleOnce,
    { kind, event, email }: EmailToSend,
    /** More writes for the same transaction, e.g. publishing a follow-up event through the outbox. */
    alsoInTransaction?: (transaction: EntityManager, sentAt: Date) => Promise<void>,
  ): Promise<{ sent: boolean }> {
    const outcome = await once.run(
      async (transaction) => {
        const sentAt = new Date();
        await transaction.insert(SentEmailRecord, {
          eventId: event.id,
          kind,
          recipient: email.to,
          subject: email.subject,
          messageId: email.messageId,
          correlationId: event.correlationId,
          sentAt,
        });
        await alsoInTransaction?.(transaction, sentAt);
      },
      { effect: () => this.mailer.send(email) },
    );
    return { sent: outcome.processed };
  }
}
