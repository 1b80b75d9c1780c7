import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { CustomerGoneError, UnknownCustomerError } from '../customers/domain/customer.js';
import { CustomerRepository } from '../customers/infrastructure/customer.repository.js';
import { type Order, OrderChangedConcurrentlyError, type OrderLine } from '../orders/domain/order.js';
import { OrderCommands } from '../orders/infrastructure/order-commands.js';
import { OrderRepository } from '../orders/infrastructure/order.repository.js';
import { idempotentOrderId } from './idempotent-order-id.js';

export interface PlaceOrderCommand {
  readonly userId: string;
  readonly items: readonly OrderLine[];
  /** The client's key for this order: a retry with the same key is answered with the order placed first. */
  readonly idempotencyKey?: string;
}

/** The order, and whether an earlier request with the same idempotency key placed it. */
export interface PlacedOrder {
  readonly order: Order;
  readonly replayed: boolean;
}

/** An idempotency key sent again with other lines: the client reused a key for a different order. */
export class IdempotencyKeyReusedError extends Error {
  constructor(readonly idempotencyKey: string) {
    super(`Idempotency-Key "${idempotencyKey}" was already used for a different order; use a new key for a new order`);
    this.name = 'IdempotencyKeyReusedError';
  }
}

/**
 * Places an order for a known customer: the `OrderPlaced` event and its integration event are
 * written in one transaction. Whether the customer exists is answered from order-service's own
 * replica, never by asking user-service, so ordering works while user-service is down.
 *
 * With an idempotency key the order's id is derived from the customer and the key, so a retry (or
 * two requests racing) appends to the same stream: the event store takes the first and refuses the
 * other (`OrderChangedConcurrentlyError`), which is then answered with the order the first placed.
 */
@Injectable()
export class PlaceOrderHandler {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly orders: OrderCommands,
    private readonly placedOrders: OrderRepository,
  ) {}

  async execute(command: PlaceOrderCommand): Promise<PlacedOrder> {
    if (!(await this.customers.isKnown(command.userId))) {
      if (await this.customers.isForgotten(command.userId)) throw new CustomerGoneError(command.userId);
      throw new UnknownCustomerError(command.userId);
    }
    const { idempotencyKey } = command;
    const orderId = idempotencyKey === undefined ? randomUUID() : idempotentOrderId(command.userId, idempotencyKey);
    try {
      const order = await this.orders.runNew(orderId, {
        type: 'PlaceOrder',
        orderId,
        userId: command.userId,
        items: command.items,
        at: new Date().toISOString(),
      });
      return { order, replayed: false };
    } catch (error) {
      if (idempotencyKey === undefined || !(error instanceof OrderChangedConcurrentlyError)) throw error;
      // The stream exists: an earlier request with this key placed the order (and committed).
      const placed = await this.placedOrders.find(orderId);
      if (!placed) throw error;
      if (!sameLines(placed.items, command.items)) throw new IdempotencyKeyReusedError(idempotencyKey);
      return { order: placed, replayed: true };
    }
  }
}

function sameLines(a: readonly OrderLine[], b: readonly OrderLine[]): boolean {
  return (
    a.length === b.length &&
    a.every((line, i) => line.sku === b[i]?.sku && line.quantity === b[i]?.quantity && line.unitPriceCents === b[i]?.unitPriceCents)
  );
}
