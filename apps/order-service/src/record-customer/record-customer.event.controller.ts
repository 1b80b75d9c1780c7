import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { upcastUserSignedUp, UserSignedUpV1, UserSignedUpV2 } from '@eventshop/contracts';
import { JetStreamContext, OnEvent } from '@eventshop/messaging';
import { RECORD_CUSTOMER, RECORD_CUSTOMER_V2, RecordCustomerHandler } from './record-customer.handler.js';

@Controller()
export class RecordCustomerEventController {
  constructor(private readonly handler: RecordCustomerHandler) {}

  /** Consumer group `order-service__record-customer`; a new deployment catches up on every past sign-up. */
  @OnEvent(UserSignedUpV1, { handler: RECORD_CUSTOMER })
  async onUserSignedUp(@Payload() event: UserSignedUpV1, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(upcastUserSignedUp(event), context.once);
  }

  /** Consumer group `order-service__record-customer-v2`. */
  @OnEvent(UserSignedUpV2, { handler: RECORD_CUSTOMER_V2 })
  async onUserSignedUpV2(@Payload() event: UserSignedUpV2, @Ctx() context: JetStreamContext): Promise<void> {
    await this.handler.execute(event, context.once);
  }
}
