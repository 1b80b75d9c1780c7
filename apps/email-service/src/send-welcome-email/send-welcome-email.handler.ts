import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { UserSignedUpV1 } from '@eventshop/contracts';
import { processOnce } from '@eventshop/messaging';
import { MAILER, type Mailer } from '../mail/domain/mailer.port.js';
import { welcomeEmail } from '../mail/domain/welcome-email.js';
import { SentEmailRecord } from '../mail/infrastructure/sent-email.record.js';

export const SEND_WELCOME_EMAIL = 'send-welcome-email';

/**
 * Sends the welcome email for a `UserSignedUp`, once: the inbox record and the sent-email record
 * commit together right after the SMTP server accepted the mail. A redelivered event is skipped.
 * (Only a crash in the instant between SMTP's "accepted" and our commit can resend; the mail then
 * carries the same Message-ID, so the receiving side can drop it.)
 */
@Injectable()
export class SendWelcomeEmailHandler {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(MAILER) private readonly mailer: Mailer,
  ) {}

  async execute(event: UserSignedUpV1): Promise<{ sent: boolean }> {
    const outcome = await processOnce(this.dataSource, SEND_WELCOME_EMAIL, event.id, async (transaction) => {
      const email = welcomeEmail({ eventId: event.id, email: event.data.email, name: event.data.name });
      await this.mailer.send(email);
      await transaction.insert(SentEmailRecord, {
        eventId: event.id,
        kind: 'welcome',
        recipient: email.to,
        subject: email.subject,
        messageId: email.messageId,
        correlationId: event.correlationId,
        sentAt: new Date(),
      });
    });
    return { sent: outcome.processed };
  }
}
