import {
  Controller,
  Get,
  GoneException,
  HttpCode,
  NotFoundException,
  Param,
  ParseIntPipe,
  Post,
  UnprocessableEntityException,
  UseGuards,
} from '@nestjs/common';
import {
  DeadLetterNotFoundError,
  DeadLetterStreamNotFoundError,
  NotReplayableError,
  OriginalMessageGoneError,
  type ReplayResult,
} from '@eventshop/messaging';
import { AdminTokenGuard } from '@eventshop/platform';
import { DeadLetters, type DeadLetterList } from './dead-letters.js';

const sequence = new ParseIntPipe({ errorHttpStatusCode: 400 });

/**
 * `GET /api/dead-letters` lists them; replaying and discarding change the system, so they are
 * operator actions: `POST`, guarded by `X-Admin-Token` (403 while ADMIN_TOKEN is unset, 401 for a
 * wrong one). A wrong sequence is a 404, a dead letter that cannot be replayed a 422 or 410.
 */
@Controller('api/dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLetters) {}

  @Get()
  list(): Promise<DeadLetterList> {
    return this.deadLetters.list();
  }

  @Post('replay-all')
  @HttpCode(200)
  @UseGuards(AdminTokenGuard)
  async replayAll(): Promise<{ replayed: ReplayResult[] }> {
    return { replayed: await explained(() => this.deadLetters.replayAll()) };
  }

  @Post('discard-all')
  @HttpCode(200)
  @UseGuards(AdminTokenGuard)
  async discardAll(): Promise<{ discarded: number }> {
    return { discarded: await explained(() => this.deadLetters.discardAll()) };
  }

  @Post(':sequence/replay')
  @HttpCode(200)
  @UseGuards(AdminTokenGuard)
  replay(@Param('sequence', sequence) seq: number): Promise<ReplayResult> {
    return explained(() => this.deadLetters.replay(seq));
  }

  @Post(':sequence/discard')
  @HttpCode(200)
  @UseGuards(AdminTokenGuard)
  async discard(@Param('sequence', sequence) seq: number): Promise<{ discarded: number }> {
    await explained(() => this.deadLetters.discard(seq));
    return { discarded: 1 };
  }
}

/** Runs a dead-letter operation, turning the admin's errors into the 4xx they are. */
async function explained<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof DeadLetterNotFoundError || error instanceof DeadLetterStreamNotFoundError) throw new NotFoundException(error.message);
    if (error instanceof NotReplayableError) throw new UnprocessableEntityException(error.message);
    if (error instanceof OriginalMessageGoneError) throw new GoneException(error.message);
    throw error;
  }
}
