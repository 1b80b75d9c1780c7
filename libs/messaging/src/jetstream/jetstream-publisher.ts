import type { JetStreamClient } from '@nats-io/jetstream';
import type { OutgoingMessage } from '../message.js';
import type { Publisher } from '../ports/publisher.js';
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
    await this.js.publish(message.subject, message.payload, {
      msgID: message.id,
      headers: toNatsHeaders(message.headers),
      timeout: this.ackTimeoutMs,
    });
  }
}
