import type { OutgoingMessage } from '../message.js';

/**
 * Sends messages to the broker.
 *
 * Contract: `publish` resolves only once the broker has durably accepted the message (for JetStream,
 * the stream's publish ack). It rejects if that cannot be confirmed; the caller may publish the same
 * message again, and the broker drops the duplicate by `message.id` within its dedup window.
 * Concurrent calls are allowed and are sent in call order. A message larger than the broker
 * accepts rejects with {@link MessageTooLargeError}, so callers can tell "never" from "not now".
 */
export interface Publisher {
  publish(message: OutgoingMessage): Promise<void>;
}

/** The broker will never take this message: payload and headers together exceed its size limit. */
export class MessageTooLargeError extends Error {
  constructor(
    readonly subject: string,
    readonly bytes: number,
    cause?: unknown,
  ) {
    super(`message of ${bytes} bytes to ${subject} is larger than the broker accepts`, { cause });
    this.name = 'MessageTooLargeError';
  }
}
