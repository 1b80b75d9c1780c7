import type { JetStreamClient } from '@nats-io/jetstream';
import type { OutgoingMessage } from '../message.js';
import { MessageTooLargeError, type Publisher } from '../ports/publisher.js';
import { toNatsHeaders } from './headers.js';

/**
 * Publishes to JetStream and waits for the stream's ack. The message id becomes `Nats-Msg-Id`, so a
 * republish after a crash (or by a second relay) inside the duplicate window is dropped by the server.
 */
export class JetStreamPublisher implements Publisher {
  constructor(
    private readonly js: JetStreamClient,
    private readonly ackTimeoutMs = 5_000,
  ) {}

  async publish(message: OutgoingMessage): Promise<void> {
    try {
      await this.js.publish(message.subject, message.payload, {
        msgID: message.id,
        headers: toNatsHeaders(message.headers),
        timeout: this.ackTimeoutMs,
      });
    } catch (error) {
      // The client refuses a message over the server's max_payload before sending it; a stream with
      // a smaller max_msg_size refuses it on arrival.
      if (error instanceof Error && /max_payload|message size exceeds maximum/i.test(error.message)) {
        throw new MessageTooLargeError(message.subject, message.payload.byteLength, error);
      }
      throw error;
    }
  }
}
