import { Controller, ForbiddenException, Get, Post, Query, Res, UseFilters } from '@nestjs/common';
import type { Response } from 'express';
import { InvalidUnsubscribeLinkError, UnsubscribeViaLinkHandler } from './unsubscribe-via-link.handler.js';
import { UnsubscribeLinkQuery } from './unsubscribe-via-link.request.dto.js';
import { UnsubscribeViaLinkErrorsFilter } from './unsubscribe-via-link.errors.filter.js';
import { sendPageOrJson, unsubscribedPage } from './unsubscribe-via-link.page.js';

/**
 * `/subscriptions/unsubscribe?user=<id>&sig=<signature>`, the link in the welcome email. Answers
 * `200` with a page, or `{subscribed: false, since}` for `Accept: application/json`; `400` when the
 * link is incomplete; `403` when the signature is not ours for that user. Idempotent.
 */
@Controller('subscriptions')
@UseFilters(UnsubscribeViaLinkErrorsFilter)
export class UnsubscribeViaLinkHttpController {
  constructor(private readonly handler: UnsubscribeViaLinkHandler) {}

  /** A person following the link. */
  @Get('unsubscribe')
  async follow(@Query({ schema: UnsubscribeLinkQuery }) query: UnsubscribeLinkQuery, @Res() response: Response): Promise<void> {
    await this.unsubscribe(query, response);
  }

  /**
   * RFC 8058 one-click: a mail client's "unsubscribe" button POSTs `List-Unsubscribe=One-Click` to
   * the URL of the `List-Unsubscribe` header. The URL carries everything needed; the body is ignored.
   */
  @Post('unsubscribe')
  async oneClick(@Query({ schema: UnsubscribeLinkQuery }) query: UnsubscribeLinkQuery, @Res() response: Response): Promise<void> {
    await this.unsubscribe(query, response);
  }

  private async unsubscribe(query: UnsubscribeLinkQuery, response: Response): Promise<void> {
    try {
      const status = await this.handler.execute({ userId: query.user, signature: query.sig });
      sendPageOrJson(response, 200, unsubscribedPage(), status);
    } catch (error) {
      if (error instanceof InvalidUnsubscribeLinkError) {
        throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', message: error.message });
      }
      throw error;
    }
  }
}
