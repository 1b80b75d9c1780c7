import { Injectable } from '@nestjs/common';
import { type UserSignedUpV1, WelcomeEmailSentV1 } from '@eventshop/contracts';
import { EventBus } from '@eventshop/messaging';
import { LinkSigner, UNSUBSCRIBE_PATH, UNSUBSCRIBE_PURPOSE } from '@eventshop/platform';
import { welcomeEmail } from '../mail/domain/templates.js';
import { SendOnce } from '../mail/infrastructure/send-once.js';

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

/** Sends the welcome email for a `UserSignedUp` once, and announces `WelcomeEmailSent` in the same transaction. */
@Injectable()
export class SendWelcomeEmailHandler {
  constructor(
    private readonly sendOnce: SendOnce,
    private readonly eventBus: EventBus,
    private readonly links: UnsubscribeLinks,
  ) {}

  async execute(event: UserSignedUpV1): Promise<{ sent: boolean }> {
    const { userId, email, name, newsletterOptIn } = event.data;
    const mail = welcomeEmail({
      eventId: event.id,
      email,
      name,
      unsubscribeUrl: newsletterOptIn ? this.links.forUser(userId) : undefined,
    });
    return this.sendOnce.send(SEND_WELCOME_EMAIL, 'welcome', event, mail, (transaction, sentAt) =>
      this.eventBus
        .publish(transaction, WelcomeEmailSentV1, { userId, sentAt: sentAt.toISOString() }, { aggregateId: userId })
        .then(() => undefined),
    );
  }
}
