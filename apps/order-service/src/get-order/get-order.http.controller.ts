import { Controller, Get, NotFoundException, Param, UseGuards } from '@nestjs/common';
import { type AccessTokenClaims, CurrentUser, JwtAuthGuard } from '@eventshop/platform';
import { toOrderView, type OrderView } from '../orders/domain/order.js';
import { OrderRepository } from '../orders/infrastructure/order.repository.js';
import { OrderIdParams } from '../orders/order-id.request.dto.js';

@Controller('orders')
export class GetOrderHttpController {
  constructor(private readonly orders: OrderRepository) {}

  /**
   * `200` with the caller's order. `404` both when it does not exist and when it is someone else's,
   * so order ids reveal nothing about other customers. `400` for an id that is not a UUID.
   */
  @Get(':id')
  @UseGuards(JwtAuthGuard)
  async get(@CurrentUser() caller: AccessTokenClaims, @Param({ schema: OrderIdParams }) params: OrderIdParams): Promise<OrderView> {
    const order = await this.orders.find(params.id);
    if (!order || order.userId !== caller.sub) {
      throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: 'Order not found' });
    }
    return toOrderView(order);
  }
}
