import { Controller, Get, Param } from '@nestjs/common';
import type { UserOrderView } from '../read-model/domain/views.js';
import { ReadModelRepository } from '../read-model/infrastructure/read-model.repository.js';
import { OwnDataOnly } from '../http/own-data.guard.js';
import { UnknownUserException } from '../http/unknown-user.exception.js';
import { UserRouteParams } from '../http/user-route.params.js';

@Controller('users')
export class ListUserOrdersHttpController {
  constructor(private readonly readModel: ReadModelRepository) {}

  /** `200` with the user's orders, newest first; `401`/`403` unless the caller is that user; `404` for an unknown user. */
  @Get(':id/orders')
  @OwnDataOnly()
  async orders(@Param({ schema: UserRouteParams }) { id }: UserRouteParams): Promise<UserOrderView[]> {
    const orders = await this.readModel.findUserOrders(id);
    if (!orders) throw new UnknownUserException();
    return orders;
  }
}
