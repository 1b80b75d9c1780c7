import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { UserSignedUpV1 } from '@eventshop/contracts';
import { OnEvent, processOnce } from '@eventshop/messaging';
import { RecipientRepository } from '../mail/infrastructure/recipient.repository.js';

const RECORD_RECIPIENT = 'record-recipient';

/**
 * Keeps email-service's own directory of recipients, so order mails need no call to user-service.
 * Separate from the welcome mail on purpose: it must not wait for SMTP.
 */
@Controller()
export class RecordRecipientEventController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly recipients: RecipientRepository,
  ) {}

  @OnEvent(UserSignedUpV1, { handler: RECORD_RECIPIENT })
  async onUserSignedUp(@Payload() event: UserSignedUpV1): Promise<void> {
    await processOnce(this.dataSource, RECORD_RECIPIENT, event.id, (transaction) =>
      this.recipients.save(transaction, { userId: event.data.userId, email: event.data.email, name: event.data.name }),
    );
  }
}
