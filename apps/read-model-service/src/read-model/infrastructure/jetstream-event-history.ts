import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import type { MessagingRuntime } from '@eventshop/messaging';
import type { EventHistory, StoredEvent } from '../domain/event-history.port.js';

/**
 * The event history as the namespaced events stream holds it (kept forever for this purpose). Reads
 * through an ordered consumer: ephemeral, no acks, and it repairs itself on a gap, so a range is
 * read completely and in order without touching any consumer group.
 */
export class JetStreamEventHistory implements EventHistory {
  constructor(private readonly runtime: MessagingRuntime) {}

  async lastSequence(): Promise<number> {
    const info = await this.runtime.jetstreamManager.streams.info(this.runtime.topology.eventsStream);
    return info.state.last_seq;
  }

  async *read(from: number, to: number, batchSize: number): AsyncIterable<StoredEvent[]> {
    if (to < from) return;
    const consumer = await jetstream(this.runtime.connection).consumers.get(this.runtime.topology.eventsStream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: from,
    });
    const messages = await consumer.consume({ max_messages: batchSize });
    try {
      let batch: StoredEvent[] = [];
      for await (const message of messages) {
        // Past the range (its end was deleted from the stream meanwhile): everything in it is out.
        if (message.seq > to) {
          if (batch.length > 0) yield batch;
          return;
        }
        batch.push({ streamSequence: message.seq, payload: message.data });
        // `pending === 0` before `to`: the rest of the range is no longer in the stream either.
        const rangeDone = message.seq >= to || message.info.pending === 0;
        if (batch.length >= batchSize || rangeDone) {
          yield batch;
          batch = [];
        }
        if (rangeDone) return;
      }
      throw new Error(`the events stream stopped delivering before sequence ${to}`);
    } finally {
      await messages.close();
    }
  }
}
