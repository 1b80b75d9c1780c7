import { ConflictException, Controller, HttpCode, NotFoundException, Param, Post, UseGuards } from '@nestjs/common';
import { type AccessTokenClaims, CurrentUser, JwtAuthGuard } from '@eventshop/platform';
import {
  NotOrderOwnerError,
  OrderAlreadyCancelledError,
  OrderChangedConcurrentlyError,
  OrderNotFoundError,
  toOrderView,
  type OrderView,
} from '../orders/domain/order.js';
import { OrderIdParams } from '../orders/order-id.request.dto.js';
import { CancelOrderHandler } from './cancel-order.handler.js';

@Controller('orders')
export class CancelOrderHttpController {
  constructor(private readonly handler: CancelOrderHandler) {}

  /**
   * `200` with the cancelled order. `404` for an order that does not exist and, identically, for
   * someone else's (an order id reveals nothing about other customers). `409` when it is already
   * cancelled, or when another request changed it at the same moment (then at most one wins).
   * `400` for an id that is not a UUID; `401` without a valid bearer token.
   */
  @Post(':id/cancel')
  @HttpCode(200)
  @UseGuards(JwtAuthGuard)
  async cancel(
    @CurrentUser() caller: AccessTokenClaims,
    @Param({ schema: OrderIdParams }) params: OrderIdParams,
  ): Promise<OrderView> {
    try {
      return toOrderView(await this.handler.execute({ orderId: params.id, userId: caller.sub }));
    } catch (error) {
      if (error instanceof OrderNotFoundError || error instanceof NotOrderOwnerError) {
        throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: 'Order not found' });
      }
      if (error instanceof OrderAlreadyCancelledError || error instanceof OrderChangedConcurrentlyError) {
        throw new ConflictException({ statusCode: 409, error: 'Conflict', message: error.message });
      }
      throw error;
    }
  }
}
