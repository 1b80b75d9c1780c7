import { Injectable } from '@nestjs/common';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { fromNatsHeaders, MessagingRuntime } from '@eventshop/messaging';
import { toEventView, type EventView } from './event-view.js';

export interface FollowOptions {
  /** Resume after this stream sequence (an SSE client's Last-Event-ID); otherwise start `backlog` events back. */
  readonly after?: number;
  /** How many of the latest events to send first. */
  readonly backlog: number;
}

/**
 * How long the server keeps a viewer's consumer after the viewer went. The console does not delete
 * it: its NATS user may not delete consumers on the events stream (that would be the power to
 * delete a service's consumer group), so the server forgets it once it has had no pull for this long.
 */
export const VIEWER_INACTIVE_THRESHOLD_MS = 30_000;

/**
 * Follows the events stream for one viewer: an ephemeral *ordered* consumer per page. Ordered
 * consumers are what JetStream offers for exactly this — a read-only, in-order, gap-free view that
 * the server forgets once the viewer goes — so watching never touches the services' durable
 * consumer groups, never acks anything, and leaves nothing behind for long.
 */
@Injectable()
export class EventFeed {
  constructor(private readonly runtime: MessagingRuntime) {}

  /** The events from the starting point on, as they land, until `signal` aborts. */
  async *follow(options: FollowOptions, signal: AbortSignal): AsyncGenerator<EventView> {
    const stream = this.runtime.topology.eventsStream;
    const { state } = await this.runtime.jetstreamManager.streams.info(stream);
    const start =
      options.after !== undefined ? options.after + 1 : Math.max(state.first_seq, state.last_seq - options.backlog + 1, 1);
    const consumer = await jetstream(this.runtime.connection).consumers.get(stream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: start,
      inactive_threshold: VIEWER_INACTIVE_THRESHOLD_MS,
    });
    const messages = await consumer.consume();
    const stop = () => messages.stop();
    signal.addEventListener('abort', stop, { once: true });
    try {
      if (signal.aborted) return;
      for await (const message of messages) {
        yield toEventView({
          sequence: message.seq,
          subject: message.subject,
          headers: fromNatsHeaders(message.headers),
          payload: message.data,
          storedAt: new Date(Math.floor(message.info.timestampNanos / 1e6)),
        });
      }
    } finally {
      signal.removeEventListener('abort', stop);
      // Stopping ends its pulls; the server then drops it after VIEWER_INACTIVE_THRESHOLD_MS.
      messages.stop();
    }
  }
}
