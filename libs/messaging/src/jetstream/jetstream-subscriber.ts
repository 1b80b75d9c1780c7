import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { MessageHandler, Outcome } from '../handler.js';
import { Headers, type ReceivedMessage } from '../message.js';
import type { Subscriber, Subscription, SubscriptionOptions } from '../ports/subscriber.js';
import { type BusLogger, errorFields, silentLogger } from '../logger.js';
import { ensureConsumer } from './topology.js';
import { fromNatsHeaders } from './headers.js';
import { KeyedLanes } from './keyed-lanes.js';

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
    await ensureConsumer(this.jsm, {
      stream: this.options.stream,
      durable: options.group,
      filterSubject: options.subject,
      deliverFrom: options.deliverFrom ?? 'all',
      ackWaitMs: options.ackWaitMs ?? 30_000,
      // Each replica pulls at most its own in-flight count; this bounds the whole group.
      maxAckPending: Math.max(1000, maxInFlight * 8),
    });
    const consumer = await this.js.consumers.get(this.options.stream, options.group);
    // A small prefetch keeps the pipe full; what is prefetched but not started at close is nak'ed.
    const messages = await consumer.consume({ max_messages: Math.max(maxInFlight * 2, 16) });
    return new JetStreamSubscription(messages, handler, options, maxInFlight, this.logger, this.options.defaultNakDelayMs ?? 1_000);
  }
}

class JetStreamSubscription implements Subscription {
  private readonly lanes: KeyedLanes;
  private readonly pump: Promise<void>;
  private closing = false;

  constructor(
    private readonly messages: ConsumerMessages,
    private readonly handler: MessageHandler,
    private readonly options: SubscriptionOptions,
    maxInFlight: number,
    private readonly logger: BusLogger,
    private readonly defaultNakDelayMs: number,
  ) {
    this.lanes = new KeyedLanes(maxInFlight);
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
      // Waits while every lane slot is busy, so we never hold more than maxInFlight messages.
      await this.lanes.run(keyOf(received.headers, received.subject), () => this.deliver(msg, received));
    }
  }

  private async deliver(msg: JsMsg, received: ReceivedMessage): Promise<void> {
    let outcome: Outcome | void;
    try {
      outcome = await this.handler(received);
    } catch (error) {
      this.logger.warn('handler failed; message will be redelivered', {
        ...errorFields(error),
        messageId: received.id,
        consumer: received.consumer,
      });
      msg.nak(this.defaultNakDelayMs);
      return;
    }
    if (outcome && outcome.kind === 'retry') msg.nak(outcome.delayMs);
    else msg.ack();
  }

  async close(timeoutMs = 10_000): Promise<void> {
    // Stop pulling; buffered messages not yet started go back to the stream for another replica.
    this.closing = true;
    await this.messages.close();
    await Promise.race([
      this.pump.then(() => this.lanes.idle()),
      new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
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
