import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { EventEnvelope } from '@eventshop/contracts';
import { inbox } from '@eventshop/messaging';
import { MAILER, type Mailer, type OutgoingEmail } from '../domain/mailer.port.js';
import { SentEmailRecord } from './sent-email.record.js';

/**
 * Sends the email an event calls for, once per (handler, event).
 *
 * In one transaction: lock the event, skip it if the inbox has it, write the inbox row, the
 * sent-email record and any follow-up event — and only then hand the mail to SMTP, so that after the
 * server accepted it nothing but COMMIT is left. A failed send rolls everything back and the event
 * is retried. What no system can close is that last instant: a crash between SMTP's "accepted" and
 * our COMMIT sends the mail again on redelivery. It then carries the same Message-ID (derived from
 * the event), so mailbox providers show it once.
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
    return this.dataSource.transaction(async (transaction) => {
      await inbox.lock(transaction, handler, event.id);
      if (await inbox.seen(transaction, handler, event.id)) return { sent: false };
      const sentAt = new Date();
      await inbox.claim(transaction, handler, event.id);
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
      await this.mailer.send(email);
      return { sent: true };
    });
  }
}
