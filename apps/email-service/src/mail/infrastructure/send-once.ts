import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { EventEnvelope } from '@eventshop/contracts';
import { processOnce } from '@eventshop/messaging';
import { MAILER, type Mailer, type OutgoingEmail } from '../domain/mailer.port.js';
import { SentEmailRecord } from './sent-email.record.js';

/**
 * Sends the email an event calls for, once per (handler, event): the inbox row and the sent-email
 * record commit together right after the SMTP server accepted the mail, so a redelivered event is
 * skipped. Only a crash in the instant between SMTP's "accepted" and our commit can resend; the mail
 * then carries the same Message-ID, so the receiving side can drop it.
 */
@Injectable()
export class SendOnce {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(MAILER) private readonly mailer: Mailer,
  ) {}

  async send(
    handler: string,
    kind: string,
    event: EventEnvelope,
    email: OutgoingEmail,
    /** More writes for the same transaction, e.g. publishing a follow-up event through the outbox. */
    alsoInTransaction?: (transaction: EntityManager, sentAt: Date) => Promise<void>,
  ): Promise<{ sent: boolean }> {
    const outcome = await processOnce(this.dataSource, handler, event.id, async (transaction) => {
      await this.mailer.send(email);
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
    });
    return { sent: outcome.processed };
  }
}
