import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { outcomeOf, type MessageHandler } from '../handler.js';
import { Headers, type ReceivedMessage } from '../message.js';
import type { Subscriber, Subscription, SubscriptionOptions } from '../ports/subscriber.js';
import { type BusLogger, silentLogger } from '../logger.js';
import { DEFAULT_ACK_WAIT_MS, keepAliveIntervalFor, PULL_EXPIRES_MS } from '../defaults.js';
import { ensureConsumer } from './topology.js';
import { fromNatsHeaders } from './headers.js';
import { KeyedLanes } from '../concurrency/keyed-lanes.js';

export interface JetStreamSubscriberOptions {
  readonly stream: string;
  readonly logger?: BusLogger;
  /** Delay before redelivery when a handler fails and no middleware chose one. */
  readonly defaultNakDelayMs?: number;
}

/**
 * Subscribes through durable pull consumers: one durable per group, so replicas share its messages.
 * A message is acked only after its handler resolved with an ack outcome.
 */
export class JetStreamSubscriber implements Subscriber {
  private readonly logger: BusLogger;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: JetStreamSubscriberOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
  }

  async subscribe(options: SubscriptionOptions, handler: MessageHandler): Promise<Subscription> {
    const maxInFlight = Math.max(1, options.maxInFlight ?? 1);
    const ackWaitMs = options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    await ensureConsumer(this.jsm, {
      stream: this.options.stream,
      durable: options.group,
      filterSubject: options.subject,
      deliverFrom: options.deliverFrom ?? 'all',
      ackWaitMs,
      // Each replica pulls at most its own in-flight count; this bounds the whole group.
      maxAckPending: Math.max(1000, maxInFlight * 8),
    });
    const consumer = await this.js.consumers.get(this.options.stream, options.group);
    // A small prefetch keeps the pipe full; what is prefetched but not started at close is nak'ed.
    const messages = await consumer.consume({ max_messages: options.prefetch ?? Math.max(maxInFlight * 2, 16), expires: PULL_EXPIRES_MS });
    return new JetStreamSubscription(messages, handler, {
      subscription: options,
      maxInFlight,
      ackWaitMs,
      logger: this.logger,
      defaultNakDelayMs: this.options.defaultNakDelayMs ?? 1_000,
    });
  }
}

class JetStreamSubscription implements Subscription {
  private readonly lanes: KeyedLanes;
  private readonly pump: Promise<void>;
  private readonly keepAliveIntervalMs: number;
  private closing = false;
  /** The message the pump holds while it waits for a free slot (a paused handler may take long). */
  private waiting: JsMsg | undefined;
  private readonly keepAlive: NodeJS.Timeout;
  /** Acks and naks of this tick, sent together: one socket write instead of one per message. */
  private settlements: Array<() => void> = [];

  private readonly options: SubscriptionOptions;
  private readonly logger: BusLogger;
  private readonly defaultNakDelayMs: number;

  constructor(
    private readonly messages: ConsumerMessages,
    private readonly handler: MessageHandler,
    settings: {
      subscription: SubscriptionOptions;
      maxInFlight: number;
      ackWaitMs: number;
      logger: BusLogger;
      defaultNakDelayMs: number;
    },
  ) {
    this.options = settings.subscription;
    this.logger = settings.logger;
    this.defaultNakDelayMs = settings.defaultNakDelayMs;
    this.keepAliveIntervalMs = keepAliveIntervalFor(settings.ackWaitMs);
    this.lanes = new KeyedLanes(settings.maxInFlight);
    // One timer for the subscription, not one per message: the hot path only sets `waiting`.
    this.keepAlive = setInterval(() => this.keepWaitingAlive(), this.keepAliveIntervalMs);
    this.keepAlive.unref();
    this.pump = this.run();
  }

  private async run(): Promise<void> {
    const keyOf = this.options.orderingKey ?? ((headers) => headers[Headers.AggregateId] ?? '');
    for await (const msg of this.messages) {
      if (this.closing) {
        msg.nak();
        continue;
      }
      const received = toReceived(msg, this.options.group);
      // While every slot is busy this waits, so we never hold more than maxInFlight messages. The
      // waiting message is ours already: the keep-alive timer tells the broker so.
      this.waiting = msg;
      await this.lanes.run(keyOf(received.headers, received.subject), () => this.deliver(msg, received));
      this.waiting = undefined;
    }
  }

  private async deliver(msg: JsMsg, received: ReceivedMessage): Promise<void> {
    // Accepted before close() but not started (queued behind a busy slot or its key): hand it back
    // instead of starting a handler the caller believes is shut down.
    if (this.closing) {
      msg.nak();
      return;
    }
    const outcome = await outcomeOf(this.handler, received, { logger: this.logger, failureDelayMs: this.defaultNakDelayMs });
    this.settle(() => (outcome.kind === 'retry' ? msg.nak(outcome.delayMs) : msg.ack()));
  }

  private keepWaitingAlive(): void {
    const held = this.waiting;
    if (!held) return;
    if (!this.closing) return held.working();
    // Closing while still waiting (a handler hangs): hand the message back rather than hold it.
    this.waiting = undefined;
    held.nak();
  }

  /**
   * Queues an ack or nak for the end of this tick. The NATS client writes to its socket after the
   * first queued command, so settling many messages in one synchronous loop batches the writes.
   * Deferring costs nothing in safety: an ack lost in a crash means a redelivery, which the inbox absorbs.
   */
  private settle(action: () => void): void {
    this.settlements.push(action);
    if (this.settlements.length === 1) setImmediate(() => this.flushSettlements());
  }

  private flushSettlements(): void {
    for (const action of this.settlements.splice(0)) action();
  }

  async close(timeoutMs = 10_000): Promise<void> {
    // Stop pulling; buffered messages not yet started go back to the stream for another replica.
    this.closing = true;
    // messages.close() settles only once the pump reads the iterator's stop signal, and the pump
    // may be parked behind a stuck handler: it goes inside the timeout, not before it.
    const stopped = this.messages.close().then(() => this.pump).then(() => this.lanes.idle());
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    clearInterval(this.keepAlive);
    this.keepWaitingAlive();
    // The last acks and naks must leave before the caller drains the connection.
    this.flushSettlements();
  }
}

function toReceived(msg: JsMsg, consumer: string): ReceivedMessage {
  const headers = fromNatsHeaders(msg.headers);
  return {
    id: headers[Headers.MessageId] ?? `${msg.info.stream}:${msg.seq}`,
    subject: msg.subject,
    payload: msg.data,
    headers,
    deliveryCount: msg.info.deliveryCount,
    consumer,
    streamSequence: msg.seq,
    storedAt: new Date(Math.floor(msg.info.timestampNanos / 1e6)),
    inProgress: () => msg.working(),
  };
}
