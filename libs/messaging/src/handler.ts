import type { ReceivedMessage } from './message.js';
import { type BusLogger, errorFields } from './logger.js';

/**
 * What a handler wants done with the message. Returning nothing means ack.
 * `retry` asks for redelivery after `delayMs` (a nak with delay: nobody sleeps in the handler).
 */
export type Outcome = { readonly kind: 'ack' } | { readonly kind: 'retry'; readonly delayMs: number };

export const ack: Outcome = { kind: 'ack' };
export const retryAfter = (delayMs: number): Outcome => ({ kind: 'retry', delayMs });

/** Handles one message. Throwing means "not processed"; middleware decides what happens next. */
export type MessageHandler = (message: ReceivedMessage) => Promise<Outcome | void>;

/** Wraps a handler with behaviour: a plain function from handler to handler. */
export type Middleware = (next: MessageHandler) => MessageHandler;

/**
 * Composes middleware around a handler. The first middleware is the outermost: in
 * `withMiddleware(h, a, b)` a message passes through a, then b, then h.
 */
export function withMiddleware(handler: MessageHandler, ...middleware: Middleware[]): MessageHandler {
  return middleware.reduceRight<MessageHandler>((next, wrap) => wrap(next), handler);
}

/**
 * Runs `handler` for a subscriber adapter and tells it what to do with the delivery: ack, or
 * redeliver after a delay. A throw that no middleware turned into an outcome is logged and
 * redelivered after `failureDelayMs`; it never escapes into the adapter's loop.
 */
export async function outcomeOf(
  handler: MessageHandler,
  message: ReceivedMessage,
  failure: { readonly logger: BusLogger; readonly failureDelayMs: number },
): Promise<Outcome> {
  try {
    return (await handler(message)) ?? ack;
  } catch (error) {
    failure.logger.warn('handler failed; message will be redelivered', {
      ...errorFields(error),
      messageId: message.id,
      consumer: message.consumer,
    });
    return retryAfter(failure.failureDelayMs);
  }
}
