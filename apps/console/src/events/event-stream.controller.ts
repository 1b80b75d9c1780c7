import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ServiceLogger } from '@eventshop/platform';
import { EventFeed } from './event-feed.js';

const DEFAULT_BACKLOG = 200;
const MAX_BACKLOG = 1_000;
/** A comment line now and then keeps proxies from closing an idle stream and shows a dead one quickly. */
const HEARTBEAT_MS = 15_000;

/**
 * `GET /api/events`: every integration event as it lands on JetStream, as Server-Sent Events —
 * `event: integration-event`, `id:` = its stream sequence, `data:` = its EventView as JSON. The
 * browser's EventSource reconnects on its own and sends `Last-Event-ID`, so a viewer resumes where
 * it left off without a gap or a duplicate. `?backlog=n` (default 200) sets how many recent events
 * come first.
 */
@Controller('api/events')
export class EventStreamController {
  constructor(
    private readonly feed: EventFeed,
    private readonly logger: ServiceLogger,
  ) {}

  @Get()
  async stream(@Req() request: Request, @Res() response: Response, @Query('backlog') backlogParam?: string): Promise<void> {
    const backlog = clamp(Number(backlogParam ?? DEFAULT_BACKLOG), 0, MAX_BACKLOG);
    const lastEventId = Number(request.header('Last-Event-ID'));
    const after = Number.isSafeInteger(lastEventId) && lastEventId >= 0 ? lastEventId : undefined;

    response.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    response.flushHeaders();
    response.write('retry: 2000\n\n');

    const viewerGone = new AbortController();
    const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS);
    request.on('close', () => viewerGone.abort());
    try {
      for await (const event of this.feed.follow({ after, backlog }, viewerGone.signal)) {
        response.write(`event: integration-event\nid: ${event.sequence}\ndata: ${JSON.stringify(event)}\n\n`);
      }
    } catch (error) {
      // The viewer's EventSource reconnects (and resumes from its Last-Event-ID); worth a line, not more.
      this.logger.warn(`event stream to a viewer ended: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearInterval(heartbeat);
      response.end();
    }
  }
}

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.floor(value))) : DEFAULT_BACKLOG;
}
