import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type AccountDeletionRequestedV1, RecipientForgottenV1 } from '@eventshop/contracts';
import { EventBus, type HandleOnce } from '@eventshop/messaging';
import { forgetUser } from '@eventshop/platform';
import { accountDeletedEmail } from '../mail/domain/templates.js';
import { RecipientRepository } from '../mail/infrastructure/recipient.repository.js';
import { SentEmails } from '../mail/infrastructure/sent-emails.js';

/** The handler's stable name: the consumer group `email-service__forget-recipient`. */
export const FORGET_RECIPIENT = 'forget-recipient';

/**
 * email-service's part of an account deletion. The last mail needs the address, so it goes first
 * and the forgetting after, in the transaction that records the mail sent (SentEmails' intent →
 * SMTP → sent): the recipient row goes, past mail records lose the address, the user id is
 * remembered as forgotten (later order mails and a late sign-up skip them) and RecipientForgotten
 * answers the process manager — all in one commit. A crash before it sends the mail again on
 * redelivery, with the same Message-ID (derived from the user), so the user sees it once.
 *
 * A repeated request (the process manager's retry) finds no recipient and answers again without a
 * mail (`farewellMailSent: false`): the answer may be what got lost, the mail was not.
 */
@Injectable()
export class ForgetRecipientHandler {
  constructor(
    private readonly recipients: RecipientRepository,
    private readonly sentEmails: SentEmails,
    private readonly eventBus: EventBus,
  ) {}

  async execute(event: AccountDeletionRequestedV1, once: HandleOnce): Promise<{ forgotten: boolean }> {
    const { userId } = event.data;
    const recipient = await this.recipients.find(userId);
    const answer = async (transaction: EntityManager, farewellMailSent: boolean) => {
      const now = new Date();
      await forgetUser(transaction, userId, now);
      if (recipient) await this.recipients.forget(transaction, recipient);
      await this.eventBus.publish(
        transaction,
        RecipientForgottenV1,
        { userId, farewellMailSent, forgottenAt: now.toISOString() },
        { aggregateId: userId },
      );
    };
    if (!recipient) {
      const outcome = await once.run((transaction) => answer(transaction, false));
      return { forgotten: outcome.processed };
    }
    const mail = accountDeletedEmail({ userId, email: recipient.email, name: recipient.name });
    const { sent } = await this.sentEmails.sendOnce(once, { kind: 'account-deleted', event, email: mail }, (transaction) =>
      answer(transaction, true),
    );
    return { forgotten: sent };
  }
}
