import { Controller, Get, Param } from '@nestjs/common';
import type { TimelineItemView } from '../read-model/domain/views.js';
import { ReadModelRepository } from '../read-model/infrastructure/read-model.repository.js';
import { OwnDataOnly } from '../http/own-data.guard.js';
import { UnknownUserException } from '../http/unknown-user.exception.js';
import { UserRouteParams } from '../http/user-route.params.js';

@Controller('users')
export class GetUserTimelineHttpController {
  constructor(private readonly readModel: ReadModelRepository) {}

  /** `200` with every event about the user, oldest first; `401`/`403` unless the caller is that user; `404` for an unknown user. */
  @Get(':id/timeline')
  @OwnDataOnly()
  async timeline(@Param({ schema: UserRouteParams }) { id }: UserRouteParams): Promise<TimelineItemView[]> {
    const timeline = await this.readModel.findUserTimeline(id);
    if (!timeline) throw new UnknownUserException();
    return timeline;
  }
}
