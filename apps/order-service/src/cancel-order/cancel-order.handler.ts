import { Injectable } from '@nestjs/common';
import type { Order } from '../orders/domain/order.js';
import { OrderCommands } from '../orders/infrastructure/order-commands.js';

export interface CancelOrderCommand {
  readonly orderId: string;
  /** The caller; only the order's owner may cancel it. */
  readonly userId: string;
}

/**
 * Cancels a placed order: `OrderCancelled` and its integration event are written in one transaction.
 * Of two requests racing to cancel the same order, exactly one succeeds: both decide on the same
 * version, and the event store lets only one of them append the next one.
 */
@Injectable()
export class CancelOrderHandler {
  constructor(private readonly orders: OrderCommands) {}

  execute(command: CancelOrderCommand): Promise<Order> {
    return this.orders.run(command.orderId, {
      type: 'CancelOrder',
      orderId: command.orderId,
      requestedBy: command.userId,
      at: new Date().toISOString(),
    });
  }
}
