import type { ReceivedMessage } from './message.js';

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
