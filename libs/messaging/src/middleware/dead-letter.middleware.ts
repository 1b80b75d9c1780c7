import { ack, type Middleware } from '../handler.js';
import { DeadLetterHeaders, type ReceivedMessage } from '../message.js';
import type { Publisher } from '../ports/publisher.js';
import { type BusLogger, errorFields, silentLogger } from '../logger.js';

export interface DeadLetterOptions {
  readonly publisher: Publisher;
  /** Subject root of the dead-letter stream; the consumer name is appended. */
  readonly subjectPrefix: string;
  /** The handler's name, recorded on the dead letter. */
  readonly handler: string;
  readonly logger?: BusLogger;
  readonly now?: () => Date;
}

/** `dlq.<consumer>`: one subject per consumer group, so a replay knows where a message belongs. */
export function deadLetterSubject(prefix: string, consumer: string): string {
  return `${prefix}.${consumer}`;
}

/**
 * Parks a message that failed for good (retries exhausted, or a permanent error such as a contract
 * violation) on the dead-letter stream, with the reason and where it came from, then acks the
 * original so the rest of the stream keeps flowing. If parking fails, the error goes up and the
 * message is redelivered: a message is never dropped.
 */
export function deadLetter(options: DeadLetterOptions): Middleware {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());
  return (next) => async (message) => {
    try {
      return await next(message);
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      await options.publisher.publish({
        // A fresh dedup id per dead-lettering: the same message may be parked, replayed and parked again.
        id: `${message.id}:dlq:${message.consumer}:${message.streamSequence ?? 0}:${message.deliveryCount}`,
        subject: deadLetterSubject(options.subjectPrefix, message.consumer),
        payload: message.payload,
        headers: { ...message.headers, ...deadLetterHeaders(message, options.handler, reason, now()) },
      });
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

function deadLetterHeaders(message: ReceivedMessage, handler: string, reason: string, at: Date) {
  return {
    // Header values must be single-line.
    [DeadLetterHeaders.Reason]: reason.replace(/[\r\n]+/g, ' ').slice(0, 2000),
    [DeadLetterHeaders.OriginalSubject]: message.subject,
    [DeadLetterHeaders.OriginalSequence]: String(message.streamSequence ?? ''),
    [DeadLetterHeaders.Handler]: handler,
    [DeadLetterHeaders.Consumer]: message.consumer,
    [DeadLetterHeaders.DeliveryCount]: String(message.deliveryCount),
    // The first delivery is our best knowledge of the first failure's time.
    [DeadLetterHeaders.FirstFailureAt]: (message.storedAt ?? at).toISOString(),
    [DeadLetterHeaders.DeadLetteredAt]: at.toISOString(),
  };
}
