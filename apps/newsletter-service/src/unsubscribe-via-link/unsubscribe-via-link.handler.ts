import { Injectable } from '@nestjs/common';
import { LinkSigner, UNSUBSCRIBE_PURPOSE } from '@eventshop/platform';
import { type SubscriptionStatus, toSubscriptionStatus } from '../subscriptions/domain/subscription.js';
import { SubscriptionCommands } from '../subscriptions/infrastructure/subscription-commands.js';

/** The link was not signed by us for this user: altered, truncated or made up. */
export class InvalidUnsubscribeLinkError extends Error {
  constructor() {
    super(
      'This unsubscribe link is not valid: it may have been altered or copied incompletely. ' +
        'Use the link in the email, or sign in to change your newsletter settings.',
    );
    this.name = 'InvalidUnsubscribeLinkError';
  }
}

/**
 * Unsubscribes the user an emailed link was signed for, without them signing in: the signature (an
 * HMAC over the purpose and the user id, with the secret shared with email-service) proves the link
 * came from us, and it grants exactly this one action on this one user.
 */
@Injectable()
export class UnsubscribeViaLinkHandler {
  constructor(
    private readonly signer: LinkSigner,
    private readonly subscriptions: SubscriptionCommands,
  ) {}

  /**
   * Idempotent: following the link again, or after leaving some other way, changes and publishes
   * nothing. `InvalidUnsubscribeLinkError` when the signature does not match the user id.
   */
  async execute(link: { userId: string; signature: string }): Promise<SubscriptionStatus> {
    if (!this.signer.verify(UNSUBSCRIBE_PURPOSE, link.userId, link.signature)) throw new InvalidUnsubscribeLinkError();
    const subscription = await this.subscriptions.run(link.userId, { type: 'Unsubscribe', userId: link.userId, via: 'link', at: new Date() });
    return toSubscriptionStatus(subscription);
  }
}
