import { Controller, Get, Param } from '@nestjs/common';
import type { UserOverviewView } from '../read-model/domain/views.js';
import { ReadModelRepository } from '../read-model/infrastructure/read-model.repository.js';
import { OwnDataOnly } from '../http/own-data.guard.js';
import { UnknownUserException } from '../http/unknown-user.exception.js';
import { UserRouteParams } from '../http/user-route.params.js';

@Controller('users')
export class GetUserOverviewHttpController {
  constructor(private readonly readModel: ReadModelRepository) {}

  /** `200` with the user's overview; `401`/`403` unless the caller is that user; `404` for an unknown user. */
  @Get(':id')
  @OwnDataOnly()
  async overview(@Param({ schema: UserRouteParams }) { id }: UserRouteParams): Promise<UserOverviewView> {
    const overview = await this.readModel.findUserOverview(id);
    if (!overview) throw new UnknownUserException();
    return overview;
  }
}
