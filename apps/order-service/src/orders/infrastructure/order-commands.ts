import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeciderRunner, EventBus } from '@eventshop/messaging';
import { type Order, type OrderCommand, orderDecider, type OrderEvent, OrderNotFoundError, type OrderState } from '../domain/order.js';
import { orderIntegrationEvents } from './order-integration-events.js';
import { OrderRepository } from './order.repository.js';

/**
 * The one way an order changes: the shared decider runner with the order decider, the order event
 * store (`OrderRepository`) and the order integration events.
 */
@Injectable()
export class OrderCommands {
  private readonly runner: DeciderRunner<OrderCommand, OrderEvent, OrderState>;

  constructor(dataSource: DataSource, eventBus: EventBus, orders: OrderRepository) {
    this.runner = new DeciderRunner(dataSource, eventBus, {
      decider: orderDecider,
      store: orders,
      integrationEventsOf: orderIntegrationEvents,
    });
  }

  /**
   * Runs `command` against the order: replays its stream, decides, then appends the new events and
   * stages their integration events in one transaction. Returns the order as the command left it.
   * Throws the aggregate's error when the command is refused, and `OrderChangedConcurrentlyError`
   * when another request changed the order after we read it: then nothing was written, and no event
   * was published.
   */
  async run(orderId: string, command: OrderCommand): Promise<Order> {
    return this.orderOf(orderId, await this.runner.run(orderId, command));
  }

  /** Runs `command` for an order whose id was just made (placing it): nothing to replay first. */
  async runNew(orderId: string, command: OrderCommand): Promise<Order> {
    return this.orderOf(orderId, await this.runner.runNew(orderId, command));
  }

  private orderOf(orderId: string, order: OrderState): Order {
    // Only a command that decided nothing about an order that does not exist leaves no order.
    if (!order) throw new OrderNotFoundError(orderId);
    return order;
  }
}
