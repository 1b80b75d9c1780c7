import { Injectable } from '@nestjs/common';
import { type AccountDeletionRequestedV1, NewsletterSubscriberForgottenV1 } from '@eventshop/contracts';
import { EventBus, type HandleOnce } from '@eventshop/messaging';
import { forgetUser } from '@eventshop/platform';

/** The handler's stable name: the consumer group `newsletter-service__forget-subscriber`. */
export const FORGET_SUBSCRIBER = 'forget-subscriber';

/**
 * newsletter-service's part of an account deletion: the subscription row goes (which unsubscribes
 * the user: nothing is sent to a user without one), the user id is remembered as forgotten (a late
 * sign-up event subscribes nobody), and NewsletterSubscriberForgotten answers the process manager —
 * all in the inbox's transaction. A repeated request (the process manager's retry) finds nothing
 * left and answers again, because the previous answer may be what got lost.
 */
@Injectable()
export class ForgetSubscriberHandler {
  constructor(private readonly eventBus: EventBus) {}

  async execute(event: AccountDeletionRequestedV1, once: HandleOnce): Promise<{ forgotten: boolean }> {
    const { userId } = event.data;
    const outcome = await once.run(async (transaction) => {
      const now = new Date();
      await forgetUser(transaction, userId, now);
      const rows = (await transaction.query(`SELECT subscribed FROM subscriptions WHERE user_id = $1 FOR UPDATE`, [userId])) as {
        subscribed: boolean;
      }[];
      const wasSubscribed = rows.some((row) => row.subscribed);
      await transaction.query(`DELETE FROM subscriptions WHERE user_id = $1`, [userId]);
      await this.eventBus.publish(
        transaction,
        NewsletterSubscriberForgottenV1,
        { userId, wasSubscribed, forgottenAt: now.toISOString() },
        { aggregateId: userId },
      );
    });
    return { forgotten: outcome.processed };
  }
}
