import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { type AccessTokenClaims, CurrentUser, JwtAuthGuard } from '@eventshop/platform';
import { toOrderView, type OrderView } from '../orders/domain/order.js';
import { OrderRepository } from '../orders/infrastructure/order.repository.js';
import { ListMyOrdersQuery } from './list-my-orders.request.dto.js';

@Controller('orders')
export class ListMyOrdersHttpController {
  constructor(private readonly orders: OrderRepository) {}

  /** `200` with the caller's orders, newest first (at most `limit`); `[]` when they have none. */
  @Get()
  @UseGuards(JwtAuthGuard)
  async list(@CurrentUser() caller: AccessTokenClaims, @Query({ schema: ListMyOrdersQuery }) query: ListMyOrdersQuery): Promise<OrderView[]> {
    const orders = await this.orders.findPlacedBy(caller.sub, query.limit);
    return orders.map(toOrderView);
  }
}
