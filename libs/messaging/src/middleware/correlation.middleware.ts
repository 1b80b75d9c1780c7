import type { Middleware } from '../handler.js';
import { Headers } from '../message.js';
import { correlationIdOrNew, messageContext, traceHeadersFrom } from '../context/message-context.js';

/**
 * Runs the handler inside the message's context: its correlation id is kept, its own id becomes the
 * causation id of anything published while handling it, and its trace context is carried on.
 */
export const correlation: Middleware = (next) => (message) =>
  messageContext.run(
    {
      correlationId: correlationIdOrNew(message.headers[Headers.CorrelationId]),
      causationId: message.id,
      trace: traceHeadersFrom(message.headers),
    },
    () => next(message),
  );
