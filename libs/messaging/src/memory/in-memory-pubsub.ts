import { outcomeOf, type MessageHandler } from '../handler.js';
import { type BusLogger, silentLogger } from '../logger.js';
import { Headers, type MessageHeaders, type OutgoingMessage, type ReceivedMessage } from '../message.js';
import type { Publisher } from '../ports/publisher.js';
import type { Subscriber, Subscription, SubscriptionOptions } from '../ports/subscriber.js';
import { KeyedLanes } from '../concurrency/keyed-lanes.js';
import { DEFAULT_ACK_WAIT_MS } from '../defaults.js';

export interface InMemoryPubSubOptions {
  /**
   * Subjects the in-memory "stream" stores (NATS wildcards allowed). Publishing to anything else is
   * rejected, as JetStream rejects a subject no stream listens on. Default: every subject (`>`).
   */
  readonly subjects?: readonly string[];
  /** Window in which a second publish with the same message id is dropped. Default 2 minutes, like our streams. */
  readonly duplicateWindowMs?: number;
  /** Delay before redelivery when a handler throws. Default 1 s, like the JetStream subscriber. */
  readonly defaultNakDelayMs?: number;
  readonly logger?: BusLogger;
  /** The clock the duplicate window is measured with; tests pass a fake one. */
  readonly now?: () => number;
}

/** A message as the in-memory stream stored it (see {@link InMemoryPubSub.published}). */
export interface PublishedMessage extends OutgoingMessage {
  readonly streamSequence: number;
  readonly storedAt: Date;
}

/**
 * A broker in a box: implements both {@link Publisher} and {@link Subscriber} in memory, with the
 * semantics of the JetStream adapter, so services can be unit-tested without NATS.
 *
 * What it shares with the JetStream adapter (and the conformance suite checks):
 * - One instance is one stream: an append-only log of everything published to {@link InMemoryPubSubOptions.subjects}.
 * - Consumer groups are durable cursors over that log. Every group gets every matching message;
 *   subscriptions in one group share them. A brand-new group starts at the beginning of the log
 *   (`deliverFrom: 'all'`) or at its end (`'new'`); a group that comes back resumes where it left off.
 * - At-least-once delivery: a message is acked only when its handler resolves with an ack outcome.
 *   A throw redelivers it after `defaultNakDelayMs`, a `retry` outcome after its `delayMs`, a
 *   handler that does not settle within `ackWaitMs` gets it redelivered (to any subscription of the
 *   group), and `deliveryCount` counts the attempts.
 * - Per-key ordering with `maxInFlight > 1` (the same {@link KeyedLanes} the JetStream subscriber uses).
 * - Publishes are deduplicated by message id within the duplicate window.
 * - NATS subject wildcards: `*` matches one token, `>` one or more trailing tokens.
 *
 * Where it differs, on purpose: a subscription whose `close` times out on a stuck handler hands that
 * handler's message back to the group at once, where JetStream waits for the ack wait to run out.
 * Nothing is persisted; the log lives as long as the instance.
 */
export class InMemoryPubSub implements Publisher, Subscriber {
  private readonly log: StoredMessage[] = [];
  private readonly groups = new Map<string, ConsumerGroup>();
  /** Message id → when it was stored; in insertion (= time) order, so expiry prunes from the front. */
  private readonly recentIds = new Map<string, number>();
  private readonly subjects: readonly string[];
  private readonly duplicateWindowMs: number;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: InMemoryPubSubOptions = {}) {
    this.subjects = options.subjects ?? ['>'];
    this.duplicateWindowMs = options.duplicateWindowMs ?? 2 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Stores the message (unless its id was seen within the duplicate window) and hands it to waiting groups. */
  async publish(message: OutgoingMessage): Promise<void> {
    // Everything happens synchronously before the first await, so concurrent calls keep call order.
    this.assertOpen();
    assertPublishableSubject(message.subject);
    if (!this.subjects.some((filter) => subjectMatches(filter, message.subject))) {
      throw new Error(`no stream captures subject "${message.subject}"`);
    }
    const now = this.now();
    this.forgetExpiredIds(now);
    // A duplicate is "accepted" without being stored again, exactly like a JetStream publish ack
    // flagged duplicate: the caller retried, and the first copy is already safe.
    if (this.recentIds.has(message.id)) return;
    this.recentIds.set(message.id, now);

    this.log.push({
      sequence: this.log.length + 1,
      id: message.id,
      subject: message.subject,
      // Copies, so a caller reusing its buffer or headers object cannot change what was "sent".
      payload: message.payload.slice(),
      headers: Object.freeze({ ...message.headers, [Headers.MessageId]: message.id }),
      storedAt: new Date(now),
    });
    for (const group of this.groups.values()) group.dispatch();
  }

  /** Joins (or creates) the consumer group and starts delivering to `handler`. */
  async subscribe(options: SubscriptionOptions, handler: MessageHandler): Promise<Subscription> {
    this.assertOpen();
    let group = this.groups.get(options.group);
    if (!group) {
      group = new ConsumerGroup(options.group, this.log, options.deliverFrom === 'new' ? this.log.length : 0);
      this.groups.set(options.group, group);
    }
    // Like a JetStream durable consumer, the group has one filter and one ack wait: the last
    // subscriber's settings win (the JetStream adapter updates the consumer the same way).
    group.configure(options.subject, options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS);
    const subscription = new InMemorySubscription(
      group,
      handler,
      options,
      this.options.logger ?? silentLogger,
      this.options.defaultNakDelayMs ?? 1_000,
    );
    group.dispatch();
    return subscription;
  }

  /** Every message stored so far, oldest first: handy for asserting what a service published. */
  published(): readonly PublishedMessage[] {
    return this.log.map(({ sequence, id, subject, payload, headers, storedAt }) => ({
      id,
      subject,
      payload: payload.slice(),
      headers: { ...headers },
      streamSequence: sequence,
      storedAt,
    }));
  }

  /** Closes every subscription (waiting up to `timeoutMs` for handlers) and drops all timers. */
  async close(timeoutMs = 1_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.groups.values()].map((group) => group.closeAll(timeoutMs)));
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('InMemoryPubSub is closed');
  }

  private forgetExpiredIds(now: number): void {
    for (const [id, storedAt] of this.recentIds) {
      if (now - storedAt < this.duplicateWindowMs) break;
      this.recentIds.delete(id);
    }
  }
}

/**
 * True when `subject` matches the NATS-style `filter`: tokens are separated by `.`, `*` matches
 * exactly one token and `>` (only as the last token) matches one or more remaining tokens.
 */
export function subjectMatches(filter: string, subject: string): boolean {
  const filterTokens = filter.split('.');
  const subjectTokens = subject.split('.');
  for (let i = 0; i < filterTokens.length; i++) {
    const token = filterTokens[i];
    if (token === '>') return i === filterTokens.length - 1 && subjectTokens.length > i;
    if (i >= subjectTokens.length) return false;
    if (token !== '*' && token !== subjectTokens[i]) return false;
  }
  return filterTokens.length === subjectTokens.length;
}

function assertPublishableSubject(subject: string): void {
  const tokens = subject.split('.');
  if (tokens.some((token) => token === '' || token === '*' || token === '>' || /\s/.test(token))) {
    throw new Error(`"${subject}" is not a valid subject to publish to`);
  }
}

interface StoredMessage {
  readonly sequence: number;
  readonly id: string;
  readonly subject: string;
  readonly payload: Uint8Array;
  readonly headers: Readonly<MessageHeaders>;
  readonly storedAt: Date;
}

/** One hand-out of a stored message to a subscription; `attempt` tells stale acks from current ones. */
interface Delivery {
  readonly stored: StoredMessage;
  readonly attempt: number;
  readonly deliveryCount: number;
  readonly holder: InMemorySubscription;
}

/** A message handed out and not yet acked: the equivalent of JetStream's "ack pending". */
interface InFlight {
  readonly delivery: Delivery;
  readonly ackTimer: NodeJS.Timeout;
}

/** The durable consumer: a cursor over the log plus the bookkeeping of unacked messages. */
class ConsumerGroup {
  private filter = '>';
  private ackWaitMs = DEFAULT_ACK_WAIT_MS;
  /** Index into the log of the next message this group has not looked at yet. */
  private cursor: number;
  /** Sequences waiting to be redelivered, ascending: redeliveries go out before new messages, oldest first. */
  private readonly ready: number[] = [];
  private readonly inFlight = new Map<number, InFlight>();
  /** Deliveries so far of every message not yet acked. */
  private readonly attempts = new Map<number, number>();
  /** Naks with a delay, waiting to become ready. */
  private readonly delayed = new Map<number, NodeJS.Timeout>();
  private readonly waiting: Array<{ subscription: InMemorySubscription; take: (delivery?: Delivery) => void }> = [];
  private readonly members = new Set<InMemorySubscription>();
  private nextAttempt = 1;

  constructor(
    readonly name: string,
    private readonly log: readonly StoredMessage[],
    startAt: number,
  ) {
    this.cursor = startAt;
  }

  configure(filter: string, ackWaitMs: number): void {
    this.filter = filter;
    this.ackWaitMs = ackWaitMs;
  }

  join(subscription: InMemorySubscription): void {
    this.members.add(subscription);
  }

  leave(subscription: InMemorySubscription): void {
    this.members.delete(subscription);
    this.stopWaiting(subscription);
  }

  /** Resolves with the next message for `subscription`, or undefined once it stops waiting (close). */
  take(subscription: InMemorySubscription): Promise<Delivery | undefined> {
    return new Promise((take) => {
      this.waiting.push({ subscription, take });
      this.dispatch();
    });
  }

  stopWaiting(subscription: InMemorySubscription): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (this.waiting[i].subscription === subscription) this.waiting.splice(i, 1)[0].take(undefined);
    }
  }

  /** Hands available messages to waiting subscriptions, first come first served (so replicas share). */
  dispatch(): void {
    for (let waiter = this.waiting[0]; waiter; waiter = this.waiting[0]) {
      const stored = this.nextAvailable();
      if (!stored) return;
      this.waiting.shift();
      waiter.take(this.handOut(stored, waiter.subscription));
    }
  }

  ack(delivery: Delivery): void {
    // Like JetStream, an ack counts even if it comes from an attempt that already timed out: the
    // message was processed, so there is no point in delivering it again.
    const seq = delivery.stored.sequence;
    const current = this.inFlight.get(seq);
    if (!current && !this.isWaitingForRedelivery(seq)) return;
    if (current) clearTimeout(current.ackTimer);
    this.inFlight.delete(seq);
    clearTimeout(this.delayed.get(seq));
    this.delayed.delete(seq);
    const readyAt = this.ready.indexOf(seq);
    if (readyAt >= 0) this.ready.splice(readyAt, 1);
    this.attempts.delete(seq);
  }

  /** Negative ack: redeliver after `delayMs`. Ignored for a stale attempt (it was redelivered already). */
  nak(delivery: Delivery, delayMs: number): void {
    const seq = delivery.stored.sequence;
    const current = this.inFlight.get(seq);
    if (!current || current.delivery.attempt !== delivery.attempt) return;
    clearTimeout(current.ackTimer);
    this.inFlight.delete(seq);
    if (delayMs <= 0) return this.makeReady(seq);
    const timer = setTimeout(() => {
      this.delayed.delete(seq);
      this.makeReady(seq);
    }, delayMs);
    timer.unref();
    this.delayed.set(seq, timer);
  }

  /** Everything `subscription` holds goes back to the group for immediate redelivery. */
  releaseHeldBy(subscription: InMemorySubscription): void {
    for (const { delivery } of [...this.inFlight.values()]) {
      if (delivery.holder === subscription) this.nak(delivery, 0);
    }
  }

  async closeAll(timeoutMs: number): Promise<void> {
    await Promise.all([...this.members].map((member) => member.close(timeoutMs)));
    for (const { ackTimer } of this.inFlight.values()) clearTimeout(ackTimer);
    for (const timer of this.delayed.values()) clearTimeout(timer);
  }

  private nextAvailable(): StoredMessage | undefined {
    const redelivery = this.ready.shift();
    if (redelivery !== undefined) return this.log[redelivery - 1];
    while (this.cursor < this.log.length) {
      const stored = this.log[this.cursor++];
      if (subjectMatches(this.filter, stored.subject)) return stored;
    }
    return undefined;
  }

  private handOut(stored: StoredMessage, holder: InMemorySubscription): Delivery {
    const seq = stored.sequence;
    const deliveryCount = (this.attempts.get(seq) ?? 0) + 1;
    this.attempts.set(seq, deliveryCount);
    const delivery: Delivery = { stored, attempt: this.nextAttempt++, deliveryCount, holder };
    // The ack wait runs from hand-out, as in JetStream: a handler that never settles (a crashed or
    // stuck replica) does not hold the message forever.
    const ackTimer = setTimeout(() => {
      if (this.inFlight.get(seq)?.delivery === delivery) {
        this.inFlight.delete(seq);
        this.makeReady(seq);
      }
    }, this.ackWaitMs);
    ackTimer.unref();
    this.inFlight.set(seq, { delivery, ackTimer });
    return delivery;
  }

  private makeReady(seq: number): void {
    // Keep `ready` sorted so redeliveries go out oldest first.
    let index = this.ready.length;
    while (index > 0 && this.ready[index - 1] > seq) index--;
    this.ready.splice(index, 0, seq);
    this.dispatch();
  }

  private isWaitingForRedelivery(seq: number): boolean {
    return this.delayed.has(seq) || this.ready.includes(seq);
  }
}

class InMemorySubscription implements Subscription {
  private readonly lanes: KeyedLanes;
  private readonly pump: Promise<void>;
  private stopping = false;
  private closing?: Promise<void>;

  constructor(
    private readonly group: ConsumerGroup,
    private readonly handler: MessageHandler,
    private readonly options: SubscriptionOptions,
    private readonly logger: BusLogger,
    private readonly defaultNakDelayMs: number,
  ) {
    this.lanes = new KeyedLanes(Math.max(1, options.maxInFlight ?? 1));
    group.join(this);
    this.pump = this.run();
  }

  private async run(): Promise<void> {
    const keyOf = this.options.orderingKey ?? ((headers) => headers[Headers.AggregateId] ?? '');
    while (!this.stopping) {
      const delivery = await this.group.take(this);
      if (!delivery) return;
      if (this.stopping) {
        // Handed to us in the same tick that close() began: give it straight back.
        this.group.nak(delivery, 0);
        return;
      }
      const { headers, subject } = delivery.stored;
      // Waits while every slot is busy, so at most one message waits here beyond maxInFlight.
      await this.lanes.run(keyOf({ ...headers }, subject), () => this.deliver(delivery));
    }
  }

  private async deliver(delivery: Delivery): Promise<void> {
    // Accepted before close() but not started yet: hand it back rather than start a handler the
    // caller believes is shut down (the JetStream subscriber does the same).
    if (this.stopping) {
      this.group.nak(delivery, 0);
      return;
    }
    const received = toReceived(delivery.stored, this.group.name, delivery.deliveryCount);
    const outcome = await outcomeOf(this.handler, received, { logger: this.logger, failureDelayMs: this.defaultNakDelayMs });
    if (outcome.kind === 'retry') this.group.nak(delivery, outcome.delayMs);
    else this.group.ack(delivery);
  }

  /** Stops taking messages, waits up to `timeoutMs` for running handlers, then leaves the group. */
  close(timeoutMs = 10_000): Promise<void> {
    this.closing ??= this.shutDown(timeoutMs);
    return this.closing;
  }

  private async shutDown(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.group.stopWaiting(this);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.pump.then(() => this.lanes.idle()).then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!finished) {
      // A handler is stuck. Hand its message (and anything queued behind it) to the rest of the
      // group now; if the handler ever finishes, its late ack is harmless.
      this.group.releaseHeldBy(this);
    }
    this.group.leave(this);
  }
}

function toReceived(stored: StoredMessage, consumer: string, deliveryCount: number): ReceivedMessage {
  return {
    id: stored.id,
    subject: stored.subject,
    // Fresh copies per delivery: a handler that mutates what it got cannot corrupt the log.
    payload: stored.payload.slice(),
    headers: { ...stored.headers },
    deliveryCount,
    consumer,
    streamSequence: stored.sequence,
    storedAt: stored.storedAt,
  };
}
