import { ConflictException, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { AdminTokenGuard } from '@eventshop/platform';
import { RebuildAlreadyRunningError, RebuildReadModelHandler, type RebuildSummary } from './rebuild.handler.js';

@Controller('admin')
export class RebuildHttpController {
  constructor(private readonly handler: RebuildReadModelHandler) {}

  /**
   * Rebuilds the read model from the event history and swaps it in; answers once it is done:
   * `200 {eventsProjected, eventsSkipped, lastSequence, durationMs}`; `401`/`403` without the admin
   * token; `409` while another rebuild runs. For a history that takes longer than a proxy's timeout,
   * use `npm run readmodel:rebuild` instead.
   */
  @Post('rebuild')
  @HttpCode(200)
  @UseGuards(AdminTokenGuard)
  async rebuild(): Promise<RebuildSummary> {
    try {
      return await this.handler.execute();
    } catch (error) {
      if (error instanceof RebuildAlreadyRunningError) {
        throw new ConflictException({ statusCode: 409, error: 'Conflict', message: error.message });
      }
      throw error;
    }
  }
}
