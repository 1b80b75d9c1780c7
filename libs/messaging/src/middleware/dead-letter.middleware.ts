import { Counter, type Registry } from 'prom-client';
import { ack, type Middleware } from '../handler.js';
import { DeadLetterHeaders, isPermanentError, type ReceivedMessage } from '../message.js';
import { BusMetrics, metricOptions } from '../metric-names.js';
import { existingOr } from '../metrics/existing-or.js';
import { RetriesExhaustedError } from './retry.middleware.js';
import { MessageTooLargeError, type Publisher } from '../ports/publisher.js';
import { type BusLogger, errorFields, silentLogger } from '../logger.js';

export interface DeadLetterOptions {
  readonly publisher: Publisher;
  /** Subject root of the dead-letter stream; the consumer name is appended. */
  readonly subjectPrefix: string;
  /** The handler's name, recorded on the dead letter. */
  readonly handler: string;
  readonly logger?: BusLogger;
  readonly now?: () => Date;
  /** Where `eventshop_dead_letters_total{consumer,reason}` is counted; not counted without it. */
  readonly metricsRegistry?: Registry;
}

/**
 * Why a message was dead-lettered, as a metric label with few values: its retries ran out, it can
 * never succeed (a permanent error: malformed, breaks its contract), or it failed with no retry
 * policy in the chain to try again.
 */
export type DeadLetterReasonClass = 'retries_exhausted' | 'permanent' | 'error';

export function deadLetterReasonClass(error: unknown): DeadLetterReasonClass {
  if (error instanceof RetriesExhaustedError) return 'retries_exhausted';
  return isPermanentError(error) ? 'permanent' : 'error';
}

/** `dlq.<consumer>`: one subject per consumer group, so a replay knows where a message belongs. */
export function deadLetterSubject(prefix: string, consumer: string): string {
  return `${prefix}.${consumer}`;
}

/**
 * Parks a message that failed for good (retries exhausted, or a permanent error such as a contract
 * violation) on the dead-letter stream, with the reason and where it came from, then acks the
 * original so the rest of the stream keeps flowing. If parking fails, the error goes up and the
 * message is redelivered: a message is never dropped. A dead letter is always writable: one whose
 * payload would push it over the broker's size limit is parked by reference instead (no payload,
 * `Dlq-Payload-Omitted` = its size; the payload stays in the stream at `Dlq-Original-Sequence`).
 */
export function deadLetter(options: DeadLetterOptions): Middleware {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());
  const firstFailures = new FirstFailures();
  const registry = options.metricsRegistry;
  const parkedTotal = registry
    ? existingOr(registry, BusMetrics.DeadLetters.name, Counter, () => new Counter({ ...metricOptions(BusMetrics.DeadLetters), registers: [registry] }))
    : undefined;
  return (next) => async (message) => {
    try {
      const outcome = await next(message);
      // A retry outcome means this delivery failed and another comes: remember when it first did.
      if (outcome?.kind === 'retry') firstFailures.note(message, now());
      else firstFailures.forget(message);
      return outcome;
    } catch (error) {
      const at = now();
      const firstFailureAt = firstFailures.take(message) ?? (message.deliveryCount === 1 ? at : message.storedAt ?? at);
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const parked = {
        // A fresh dedup id per dead-lettering: the same message may be parked, replayed and parked again.
        id: `${message.id}:dlq:${message.consumer}:${message.streamSequence ?? 0}:${message.deliveryCount}`,
        subject: deadLetterSubject(options.subjectPrefix, message.consumer),
        payload: message.payload,
        headers: { ...message.headers, ...deadLetterHeaders(message, options.handler, reason, firstFailureAt, at) },
      };
      try {
        await options.publisher.publish(parked);
      } catch (publishError) {
        // Without this, a message just under the limit would fail, fail to park, and come back forever.
        if (!(publishError instanceof MessageTooLargeError) || message.streamSequence === undefined) throw publishError;
        await options.publisher.publish({
          ...parked,
          payload: new Uint8Array(0),
          headers: { ...parked.headers, [DeadLetterHeaders.PayloadOmitted]: String(message.payload.byteLength) },
        });
      }
      // Rare, so a label object per dead letter is fine.
      parkedTotal?.inc({ consumer: message.consumer, reason: deadLetterReasonClass(error) });
      logger.error('message dead-lettered', {
        ...errorFields(error),
        messageId: message.id,
        consumer: message.consumer,
        deliveries: message.deliveryCount,
      });
      return ack;
    }
  };
}

/**
 * When each message in this process first failed, so a dead letter can say how long it had been
 * failing. Bounded: the oldest entries go first. A message whose earlier failures happened in
 * another process (a restart, another replica) falls back to the time it was stored — the earliest
 * its first failure can have been.
 */
class FirstFailures {
  private readonly times = new Map<string, Date>();

  constructor(private readonly capacity = 10_000) {}

  note(message: ReceivedMessage, at: Date): void {
    const key = FirstFailures.key(message);
    if (this.times.has(key)) return;
    if (this.times.size >= this.capacity) this.times.delete(this.times.keys().next().value as string);
    this.times.set(key, at);
  }

  take(message: ReceivedMessage): Date | undefined {
    const key = FirstFailures.key(message);
    const at = this.times.get(key);
    this.times.delete(key);
    return at;
  }

  forget(message: ReceivedMessage): void {
    this.times.delete(FirstFailures.key(message));
  }

  private static key(message: ReceivedMessage): string {
    return `${message.consumer}\n${message.id}`;
  }
}

function deadLetterHeaders(message: ReceivedMessage, handler: string, reason: string, firstFailureAt: Date, at: Date) {
  return {
    // Header values must be single-line.
    [DeadLetterHeaders.Reason]: reason.replace(/[\r\n]+/g, ' ').slice(0, 2000),
    [DeadLetterHeaders.OriginalSubject]: message.subject,
    [DeadLetterHeaders.OriginalSequence]: String(message.streamSequence ?? ''),
    [DeadLetterHeaders.Handler]: handler,
    [DeadLetterHeaders.Consumer]: message.consumer,
    [DeadLetterHeaders.DeliveryCount]: String(message.deliveryCount),
    [DeadLetterHeaders.FirstFailureAt]: firstFailureAt.toISOString(),
    [DeadLetterHeaders.DeadLetteredAt]: at.toISOString(),
  };
}
