import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { CustomerGoneError, UnknownCustomerError } from '../customers/domain/customer.js';
import { CustomerRepository } from '../customers/infrastructure/customer.repository.js';
import type { Order, OrderLine } from '../orders/domain/order.js';
import { OrderCommands } from '../orders/infrastructure/order-commands.js';

export interface PlaceOrderCommand {
  readonly userId: string;
  readonly items: readonly OrderLine[];
}

/**
 * Places an order for a known customer: the `OrderPlaced` event and its integration event are
 * written in one transaction. Whether the customer exists is answered from order-service's own
 * replica, never by asking user-service, so ordering works while user-service is down.
 */
@Injectable()
export class PlaceOrderHandler {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly orders: OrderCommands,
  ) {}

  async execute(command: PlaceOrderCommand): Promise<Order> {
    if (!(await this.customers.isKnown(command.userId))) {
      if (await this.customers.isForgotten(command.userId)) throw new CustomerGoneError(command.userId);
      throw new UnknownCustomerError(command.userId);
    }
    const orderId = randomUUID();
    return this.orders.runNew(orderId, {
      type: 'PlaceOrder',
      orderId,
      userId: command.userId,
      items: command.items,
      at: new Date().toISOString(),
    });
  }
}
