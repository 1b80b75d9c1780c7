import type { NextFunction, Request, Response } from 'express';
import { correlationIdOrNew, messageContext, traceHeadersFrom } from '@eventshop/messaging';

export const CORRELATION_HEADER = 'X-Correlation-Id';

/**
 * Starts the message context of an HTTP request: the caller's `X-Correlation-Id` (or a new one),
 * echoed back on the response, plus the W3C trace context. Events published while handling the
 * request carry both.
 */
export function correlationMiddleware(req: Request, res: Response, next: NextFunction): void {
  const correlationId = correlationIdOrNew(req.header(CORRELATION_HEADER));
  res.setHeader(CORRELATION_HEADER, correlationId);
  messageContext.run(
    { correlationId, causationId: null, trace: traceHeadersFrom(req.headers as Record<string, string>) },
    next,
  );
}
