/** Header names the bus puts on every message. NATS headers are case-sensitive; use these. */
export const Headers = {
  /** JetStream dedups publishes with the same id inside the stream's duplicate window. */
  MessageId: 'Nats-Msg-Id',
  CorrelationId: 'Correlation-Id',
  CausationId: 'Causation-Id',
  EventType: 'Event-Type',
  EventVersion: 'Event-Version',
  AggregateId: 'Aggregate-Id',
  Source: 'Source',
  ContentType: 'Content-Type',
  /** W3C trace context, written and read through OpenTelemetry's propagation API. */
  TraceParent: 'traceparent',
  TraceState: 'tracestate',
} as const;

/** Headers a dead-lettered message carries besides its original ones. */
export const DeadLetterHeaders = {
  Reason: 'Dlq-Reason',
  OriginalSubject: 'Dlq-Original-Subject',
  OriginalSequence: 'Dlq-Original-Sequence',
  Handler: 'Dlq-Handler',
  Consumer: 'Dlq-Consumer',
  DeliveryCount: 'Dlq-Delivery-Count',
  FirstFailureAt: 'Dlq-First-Failure-At',
  DeadLetteredAt: 'Dlq-Dead-Lettered-At',
  /**
   * Set when the dead letter does not carry the payload (it and the Dlq-* headers would not fit
   * under the broker's size limit): the payload's size in bytes. The payload itself stays in the
   * events stream at Dlq-Original-Sequence.
   */
  PayloadOmitted: 'Dlq-Payload-Omitted',
} as const;

export type MessageHeaders = Record<string, string>;

/** A message on its way to the broker. */
export interface OutgoingMessage {
  /** Unique id; the broker drops a second publish with the same id (dedup). */
  readonly id: string;
  readonly subject: string;
  readonly payload: Uint8Array;
  readonly headers: MessageHeaders;
}

/** A message delivered to a handler. Ack/nak is the subscriber's job, driven by the handler's outcome. */
export interface ReceivedMessage {
  readonly id: string;
  readonly subject: string;
  readonly payload: Uint8Array;
  readonly headers: MessageHeaders;
  /** 1 on first delivery, incremented by the broker on every redelivery. */
  readonly deliveryCount: number;
  /** The consumer group (durable consumer) this delivery came through. */
  readonly consumer: string;
  /** Position in the stream, when the transport has one. */
  readonly streamSequence?: number;
  /** When the stream stored the message, when the transport knows it. */
  readonly storedAt?: Date;
  /**
   * Tells the broker the message is still being worked on, which restarts its ack deadline so it is
   * not redelivered while a handler deliberately holds it (waiting for a throttle token or for a
   * circuit breaker to close). Optional: transports without ack deadlines leave it out.
   */
  inProgress?(): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Parses a payload as JSON; throws a permanent error when it is not JSON at all. */
export function decodeJson(payload: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(payload));
  } catch (error) {
    throw new MalformedMessageError(`payload is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * An error that no retry can fix (a malformed payload, a contract violation). The retry middleware
 * lets it through at once so the dead-letter middleware can park the message.
 */
export interface PermanentError extends Error {
  readonly permanent: true;
}

export function isPermanentError(error: unknown): error is PermanentError {
  return error instanceof Error && (error as Partial<PermanentError>).permanent === true;
}

export class MalformedMessageError extends Error implements PermanentError {
  readonly permanent = true as const;
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMessageError';
  }
}
