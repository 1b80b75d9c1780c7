import { Injectable } from '@nestjs/common';
import { type AccountDeletionRequestedV1, CustomerAnonymisedV1 } from '@eventshop/contracts';
import { EventBus, type HandleOnce } from '@eventshop/messaging';
import { CustomerRepository } from '../customers/infrastructure/customer.repository.js';

/** The handler's stable name: the consumer group `order-service__anonymise-customer`. */
export const ANONYMISE_CUSTOMER = 'anonymise-customer';

/**
 * order-service's part of an account deletion: the customer is anonymised (no more orders; see
 * CustomerRepository.anonymise) and CustomerAnonymised answers the process manager, in the inbox's
 * transaction. The orders stay as they are — the event store is append-only and accounting needs
 * them — and they never held more than the user id, which names nobody once the account is erased.
 * A repeated request answers again.
 */
@Injectable()
export class AnonymiseCustomerHandler {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly eventBus: EventBus,
  ) {}

  async execute(event: AccountDeletionRequestedV1, once: HandleOnce): Promise<{ anonymised: boolean }> {
    const { userId } = event.data;
    const outcome = await once.run(async (transaction) => {
      const now = new Date();
      const ordersKept = await this.customers.anonymise(transaction, userId, now);
      await this.eventBus.publish(transaction, CustomerAnonymisedV1, { userId, ordersKept, anonymisedAt: now.toISOString() }, { aggregateId: userId });
    });
    return { anonymised: outcome.processed };
  }
}
