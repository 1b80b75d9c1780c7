import { Injectable } from '@nestjs/common';
import type { UserSignedUpV2 } from '@eventshop/contracts';
import type { HandleOnce } from '@eventshop/messaging';
import { CustomerRepository } from '../customers/infrastructure/customer.repository.js';

/** The handler's stable name: with the service name it forms the consumer group `order-service__record-customer`. */
export const RECORD_CUSTOMER = 'record-customer';
export const RECORD_CUSTOMER_V2 = 'record-customer-v2';

/**
 * Adds the account a `UserSignedUp` announces to order-service's customer replica. The inbox row and
 * the customer row commit together, so a redelivered event is skipped.
 */
@Injectable()
export class RecordCustomerHandler {
  constructor(private readonly customers: CustomerRepository) {}

  async execute(event: UserSignedUpV2, once: HandleOnce): Promise<{ recorded: boolean }> {
    const outcome = await once.run((transaction) =>
      this.customers.record(transaction, { userId: event.data.userId, signedUpAt: new Date(event.data.occurredAt) }),
    );
    return { recorded: outcome.processed };
  }
}
