import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { INCOMPLETE_LINK_MESSAGE, linkFailurePage, sendPageOrJson } from './unsubscribe-via-link.page.js';

/**
 * People open unsubscribe links in a browser, so a refused link (400 incomplete, 403 not ours) is
 * answered with a page; a client asking for JSON gets the usual error body. Other errors are left to
 * the global handling (a 500 stays a logged 500).
 */
@Catch(HttpException)
export class UnsubscribeViaLinkErrorsFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    const status = exception.getStatus();
    const body = exception.getResponse();
    const message = typeof body === 'string' ? body : String((body as { message?: unknown }).message ?? exception.message);
    sendPageOrJson(
      host.switchToHttp().getResponse<Response>(),
      status,
      linkFailurePage(status === 400 ? INCOMPLETE_LINK_MESSAGE : message),
      typeof body === 'string' ? { statusCode: status, message: body } : body,
    );
  }
}
