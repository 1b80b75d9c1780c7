import type { MessageHandler } from '../handler.js';

export interface SubscriptionOptions {
  /**
   * The consumer group. Every subscription with the same group shares one durable cursor, so
   * replicas of a service split the work; another group gets its own copy of every message.
   */
  readonly group: string;
  /** Subject filter; `*` and `>` wildcards as in NATS. */
  readonly subject: string;
  /** Where a brand-new group starts: every stored message (`all`, the default) or only new ones. */
  readonly deliverFrom?: 'all' | 'new';
  /** Messages handled at once by this subscription. Default 1, which keeps stream order. */
  readonly maxInFlight?: number;
  /**
   * With maxInFlight > 1, messages with the same key are still handled one after another, in
   * order (per-entity ordering). Defaults to the aggregate id header.
   */
  readonly orderingKey?: (headers: Record<string, string>, subject: string) => string;
  /** How long the broker waits for an ack before redelivering. Default `DEFAULT_ACK_WAIT_MS` (30 s). */
  readonly ackWaitMs?: number;
  /** Messages fetched ahead of the handler. Default: a small buffer (max(2 × maxInFlight, 16)). */
  readonly prefetch?: number;
}

/**
 * Delivers messages to a handler, at least once.
 *
 * Contract: a message is acknowledged only after the handler resolved with an ack outcome; a
 * rejected handler or a `retry` outcome gets it redelivered later (after the given delay), and a
 * subscriber that dies mid-handler gets it redelivered after the ack wait. Nothing is acked
 * unprocessed. Duplicates are possible: handlers must be idempotent (see the inbox).
 */
export interface Subscriber {
  subscribe(options: SubscriptionOptions, handler: MessageHandler): Promise<Subscription>;
}

export interface Subscription {
  /** Stops pulling, waits for in-flight handlers (bounded by `timeoutMs`), then releases the consumer. */
  close(timeoutMs?: number): Promise<void>;
}
