import { Injectable } from '@nestjs/common';
import { type UserSignedUpV1, WelcomeEmailSentV1 } from '@eventshop/contracts';
import { EventBus, type HandleOnce } from '@eventshop/messaging';
import { LinkSigner, UNSUBSCRIBE_PATH, UNSUBSCRIBE_PURPOSE } from '@eventshop/platform';
import { welcomeEmail } from '../mail/domain/templates.js';
import { SentEmails } from '../mail/infrastructure/sent-emails.js';

/** The handler's stable name: with the service name it forms the consumer group `email-service__send-welcome-email`. */
export const SEND_WELCOME_EMAIL = 'send-welcome-email';

/** Where the newsletter's unsubscribe page lives, and the secret its links are signed with. */
export class UnsubscribeLinks {
  constructor(
    private readonly baseUrl: string,
    private readonly signer: LinkSigner,
  ) {}

  forUser(userId: string): string {
    const url = new URL(UNSUBSCRIBE_PATH, this.baseUrl);
    url.searchParams.set('user', userId);
    url.searchParams.set('sig', this.signer.sign(UNSUBSCRIBE_PURPOSE, userId));
    return url.toString();
  }
}

/** Sends the welcome email for a `UserSignedUp` once, and announces `WelcomeEmailSent` (outbox) in the transaction that records it sent. */
@Injectable()
export class SendWelcomeEmailHandler {
  constructor(
    private readonly sentEmails: SentEmails,
    private readonly eventBus: EventBus,
    private readonly links: UnsubscribeLinks,
  ) {}

  async execute(event: UserSignedUpV1, once: HandleOnce): Promise<{ sent: boolean }> {
    const { userId, email, name, newsletterOptIn } = event.data;
    const mail = welcomeEmail({
      eventId: event.id,
      email,
      name,
      unsubscribeUrl: newsletterOptIn ? this.links.forUser(userId) : undefined,
    });
    return this.sentEmails.sendOnce(once, { kind: 'welcome', event, email: mail }, async (transaction, sentAt) => {
      await this.eventBus.publish(transaction, WelcomeEmailSentV1, { userId, sentAt: sentAt.toISOString() }, { aggregateId: userId });
    });
  }
}
