import { Injectable } from '@nestjs/common';
import type { UserSignedUpV1 } from '@eventshop/contracts';
import type { HandleOnce } from '@eventshop/messaging';
import { isForgotten } from '@eventshop/platform';
import { RecipientRepository } from '../mail/infrastructure/recipient.repository.js';

/** The handler's stable name: with the service name it forms the consumer group `email-service__record-recipient`. */
export const RECORD_RECIPIENT = 'record-recipient';

/**
 * Keeps email-service's own directory of recipients, so order mails need no call to user-service.
 * Separate from the welcome mail on purpose: it must not wait for SMTP.
 */
@Injectable()
export class RecordRecipientHandler {
  constructor(private readonly recipients: RecipientRepository) {}

  async execute(event: UserSignedUpV1, once: HandleOnce): Promise<{ recorded: boolean }> {
    const { userId, email, name } = event.data;
    const outcome = await once.run(async (transaction) => {
      // A sign-up that reaches this group after the account's deletion records nobody.
      if (await isForgotten(transaction, userId)) return;
      await this.recipients.save(transaction, { userId, email, name });
    });
    return { recorded: outcome.processed };
  }
}
