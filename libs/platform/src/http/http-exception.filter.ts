import { STATUS_CODES } from 'node:http';
import { type ArgumentsHost, Catch, HttpException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';
import { isDatabaseUnavailable } from '../database/database-unavailable.js';

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
  message?: string;
}

/** How long a client is asked to wait when the database is away (a restart takes seconds). */
const DATABASE_RETRY_AFTER_SECONDS = 2;

/**
 * Keeps client mistakes client errors: malformed JSON, a body too large or of the wrong type reach
 * Nest as raw body-parser errors, which would otherwise become 500s. A database that cannot be
 * reached (restarting, refusing, dropped connections) is a `503` with `Retry-After`: the request is
 * fine and will work again. Everything else goes to Nest's default handling (HttpExceptions as they
 * are, anything unknown as a logged 500).
 */
@Catch()
export class HttpErrorsFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const bodyError = exception as BodyParserError;
    if (!(exception instanceof HttpException) && bodyError?.expose && typeof bodyError.status === 'number' && bodyError.status < 500) {
      const response = host.switchToHttp().getResponse<Response>();
      const message =
        bodyError.type === 'entity.parse.failed' ? 'Malformed JSON in request body' : (bodyError.message ?? 'Bad request');
      response.status(bodyError.status).json({ statusCode: bodyError.status, error: STATUS_CODES[bodyError.status] ?? 'Error', message });
      return;
    }
    if (isDatabaseUnavailable(exception)) {
      host
        .switchToHttp()
        .getResponse<Response>()
        .status(503)
        .setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS))
        .json({ statusCode: 503, error: 'Service Unavailable', message: 'The database is unavailable; try again shortly' });
      return;
    }
    super.catch(exception, host);
  }
}
