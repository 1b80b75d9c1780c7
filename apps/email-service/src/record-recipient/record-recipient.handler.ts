import { Inject, Injectable } from '@nestjs/common';
import type { UserSignedUpV2 } from '@eventshop/contracts';
import type { HandleOnce, PersonalDataSource } from '@eventshop/messaging';
import { isForgotten } from '@eventshop/platform';
import { RecipientRepository } from '../mail/infrastructure/recipient.repository.js';

/** The handler's stable name: with the service name it forms the consumer group `email-service__record-recipient`. */
export const RECORD_RECIPIENT = 'record-recipient';
export const RECORD_RECIPIENT_V2 = 'record-recipient-v2';

/** Where email-service asks for a user's email and name (user-service, over NATS). */
export const PERSONAL_DATA = Symbol('PERSONAL_DATA');

/**
 * Keeps email-service's own directory of recipients, so order mails need no call to user-service.
 * Separate from the welcome mail on purpose: it must not wait for SMTP. The sign-up carries no
 * personal data: the address and name are asked of user-service once, here, and forgotten again
 * when the account is deleted (ForgetRecipientHandler). An account already gone records nothing.
 */
@Injectable()
export class RecordRecipientHandler {
  constructor(
    private readonly recipients: RecipientRepository,
    @Inject(PERSONAL_DATA) private readonly personalData: PersonalDataSource,
  ) {}

  async execute(event: UserSignedUpV2, once: HandleOnce): Promise<{ recorded: boolean }> {
    const { userId } = event.data;
    const person = await this.personalData.find(userId);
    const outcome = await once.run(async (transaction) => {
      // A sign-up that reaches this group after the account's deletion records nobody.
      if (!person || (await isForgotten(transaction, userId))) return;
      await this.recipients.save(transaction, { userId, email: person.email, name: person.name });
    });
    return { recorded: outcome.processed };
  }
}
