import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { EventEnvelope } from '@eventshop/contracts';
import type { HandleOnce } from '@eventshop/messaging';
import { holdUserAgainstForgetting, notForgotten } from '@eventshop/platform';
import { MAILER, type Mailer, type OutgoingEmail } from '../domain/mailer.port.js';

/** The columns of a mail's intent (see SentEmailRecord); its values follow, as VALUES or a SELECT. */
const INSERT_SENDING = `INSERT INTO sent_emails (event_id, kind, recipient, subject, message_id, correlation_id, state)`;

/** One email an event calls for: what kind, the event that caused it, the email itself. */
export interface EmailToSend {
  readonly kind: string;
  readonly event: EventEnvelope;
  readonly email: OutgoingEmail;
  /**
   * The user the mail is about, if it must not go out once their account is deleted: the intent
   * then checks, under the same per-user lock the deletion takes, that they are not forgotten. A
   * mail whose intent committed first is scrubbed of its address by the deletion; one that comes
   * after is not sent and leaves no record.
   */
  readonly unlessForgotten?: string;
}

/**
 * Every email the service sends goes through here, so each is sent once per handler and event and
 * recorded in `sent_emails`. It is the bus's handle-once with an outside effect, and no transaction
 * is open while SMTP is talked to (a hung SMTP server must not hold back every outbox relay on the
 * PostgreSQL server):
 *
 * 1. the intent, in one short transaction: the sent-email row in state `sending`, the inbox row;
 * 2. the SMTP send, outside any transaction;
 * 3. `sent`, in a second short transaction: the row marked sent, any follow-up event (outbox).
 *
 * A failed send leaves the intent; the redelivery sends again. A crash between SMTP's "accepted" and
 * step 3 sends the mail again on redelivery too, with the same Message-ID (derived from the event
 * and the kind), so mailbox providers show it once. An event whose mail is `sent` is skipped.
 */
@Injectable()
export class SentEmails {
  constructor(@Inject(MAILER) private readonly mailer: Mailer) {}

  async sendOnce(
    once: HandleOnce,
    { kind, event, email, unlessForgotten }: EmailToSend,
    /** More writes for the "sent" transaction, e.g. publishing a follow-up event through the outbox. */
    alsoWhenSent?: (transaction: EntityManager, sentAt: Date) => Promise<void>,
  ): Promise<{ sent: boolean }> {
    let forgotten = false;
    const outcome = await once.run(
      async (transaction) => {
        // Plain SQL on the hot path: TypeORM's insert and update built each statement anew, a tenth
        // of the service's CPU per mail (bench:shop profile).
        const row = [event.id, kind, email.to, email.subject, email.messageId, event.correlationId];
        if (!unlessForgotten) {
          await transaction.query(`${INSERT_SENDING} VALUES ($1, $2, $3, $4, $5, $6, 'sending')`, row);
          return;
        }
        // The forgotten check is folded into the insert (one round trip fewer), under the user's lock.
        await holdUserAgainstForgetting(transaction, unlessForgotten);
        const inserted = (await transaction.query(
          `${INSERT_SENDING} SELECT $1, $2, $3, $4, $5, $6, 'sending' WHERE ${notForgotten('$7')} RETURNING event_id`,
          [...row, unlessForgotten],
        )) as unknown[];
        forgotten = inserted.length === 0;
      },
      {
        effect: () => (forgotten ? Promise.resolve() : this.mailer.send(email)),
        afterEffect: async (transaction) => {
          if (forgotten) return;
          const sentAt = new Date();
          await transaction.query(`UPDATE sent_emails SET state = 'sent', sent_at = $2 WHERE event_id = $1`, [event.id, sentAt]);
          await alsoWhenSent?.(transaction, sentAt);
        },
      },
    );
    return { sent: outcome.processed && !forgotten };
  }
}
