import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { UserSignedUpV1 } from '@eventshop/contracts';
import { JetStreamContext, OnEvent } from '@eventshop/messaging';
import { RECORD_CUSTOMER, RecordCustomerHandler } from './record-customer.handler.js';

@Controller()
export class RecordCustomerEventController {
  constructor(private readonly handler: RecordCustomerHandler) {}

  /** Consumer group `order-service__record-customer`; a new deployment catches up on every past sign-up. */
  @OnEvent(UserSignedUpV1, { handler: RECORD_CUSTOMER })
  async onUserSignedUp(@Payload() event: UserSignedUpV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(event, context.once);
  }
}
