import type { OutgoingMessage } from '../message.js';

/**
 * Sends messages to the broker.
 *
 * Contract: `publish` resolves only once the broker has durably accepted the message (for JetStream,
 * the stream's publish ack). It rejects if that cannot be confirmed; the caller may publish the same
 * message again, and the broker drops the duplicate by `message.id` within its dedup window.
 * Concurrent calls are allowed and are sent in call order.
 */
export interface Publisher {
  publish(message: OutgoingMessage): Promise<void>;
}
