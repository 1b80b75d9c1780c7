import { Inject, Injectable } from '@nestjs/common';
import { type UserSignedUpV2, WelcomeEmailSentV1 } from '@eventshop/contracts';
import { EventBus, type HandleOnce, type PersonalDataSource } from '@eventshop/messaging';
import { PERSONAL_DATA } from '../record-recipient/record-recipient.handler.js';
import { LinkSigner, UNSUBSCRIBE_PATH, UNSUBSCRIBE_PURPOSE } from '@eventshop/platform';
import { welcomeEmail } from '../mail/domain/templates.js';
import { SentEmails } from '../mail/infrastructure/sent-emails.js';

/** The handler's stable name: with the service name it forms the consumer group `email-service__send-welcome-email`. */
export const SEND_WELCOME_EMAIL = 'send-welcome-email';
export const SEND_WELCOME_EMAIL_V2 = 'send-welcome-email-v2';

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

/**
 * Sends the welcome email for a `UserSignedUp` once, and announces `WelcomeEmailSent` (outbox) in the
 * transaction that records it sent. The address and name are asked of user-service (the event carries
 * none); an account deleted before its welcome mail went out gets none.
 */
@Injectable()
export class SendWelcomeEmailHandler {
  constructor(
    private readonly sentEmails: SentEmails,
    private readonly eventBus: EventBus,
    private readonly links: UnsubscribeLinks,
    @Inject(PERSONAL_DATA) private readonly personalData: PersonalDataSource,
  ) {}

  async execute(event: UserSignedUpV2, once: HandleOnce): Promise<{ sent: boolean }> {
    const { userId, newsletterOptIn } = event.data;
    const person = await this.personalData.find(userId);
    if (!person) return { sent: false };
    const mail = welcomeEmail({
      eventId: event.id,
      email: person.email,
      name: person.name,
      unsubscribeUrl: newsletterOptIn ? this.links.forUser(userId) : undefined,
    });
    return this.sentEmails.sendOnce(once, { kind: 'welcome', event, email: mail, unlessForgotten: userId }, async (transaction, sentAt) => {
      await this.eventBus.publish(transaction, WelcomeEmailSentV1, { userId, sentAt: sentAt.toISOString() }, { aggregateId: userId });
    });
  }
}
