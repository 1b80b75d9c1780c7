import { Catch, HttpException, Logger, type RpcExceptionFilter } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';
import type { ReadModelErrorBody } from './read-model.rpc-api.js';

/**
 * Turns a failed query into the reply's `err`, with the body REST would answer: a 400 from request
 * validation, a 404 for an unknown user, and a bare 500 for anything unexpected (logged here, never
 * sent). Without it, Nest answers every error with a body that says nothing, or with no reply at all.
 */
@Catch()
export class RpcErrorReplyFilter implements RpcExceptionFilter {
  private readonly logger = new Logger('ReadModelRpc');

  catch(exception: unknown): Observable<never> {
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const reply: ReadModelErrorBody =
        typeof body === 'object' ? (body as ReadModelErrorBody) : { statusCode: exception.getStatus(), error: 'Error', message: body };
      return throwError(() => reply);
    }
    this.logger.error(exception);
    const reply: ReadModelErrorBody = { statusCode: 500, error: 'Internal Server Error', message: 'The query failed' };
    return throwError(() => reply);
  }
}
