import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { AccountDeletionRequestedV1 } from '@eventshop/contracts';
import { JetStreamContext, OnEvent } from '@eventshop/messaging';
import { ANONYMISE_CUSTOMER, AnonymiseCustomerHandler } from './anonymise-customer.handler.js';

@Controller()
export class AnonymiseCustomerEventController {
  constructor(private readonly handler: AnonymiseCustomerHandler) {}

  /** Consumer group `order-service__anonymise-customer`. */
  @OnEvent(AccountDeletionRequestedV1, { handler: ANONYMISE_CUSTOMER })
  async onAccountDeletionRequested(@Payload() event: AccountDeletionRequestedV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(event, context.once);
  }
}
