import { Headers, type MessageHeaders } from '@eventshop/messaging';
import { redact, redactHeaders } from './redaction.js';

/** A message as read from the events stream (an ordered consumer's delivery or a stored message). */
export interface StoredEvent {
  /** Its sequence in the events stream: the one number every consumer group's progress is measured in. */
  readonly sequence: number;
  readonly subject: string;
  readonly headers: MessageHeaders;
  readonly payload: Uint8Array;
  /** When the stream stored it. */
  readonly storedAt: Date;
}

/** What the page shows of one integration event: the list columns, and on click its envelope and headers. */
export interface EventView {
  readonly sequence: number;
  readonly subject: string;
  readonly id: string;
  readonly type: string;
  readonly version: number | null;
  readonly source: string;
  readonly aggregateId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly occurredAt: string | null;
  readonly storedAt: string;
  /** The W3C trace id from `traceparent`, for a Jaeger link; null when the event carries none. */
  readonly traceId: string | null;
  readonly headers: Record<string, string>;
  /** The parsed envelope, redacted; the raw text (cut short) when it is not JSON. */
  readonly envelope: unknown;
  /** Why the envelope could not be read, when it could not (a poison message). */
  readonly malformed: string | null;
}

const MAX_RAW_TEXT = 4_096;

/**
 * Reads an event for display. The envelope is the truth; the headers (which the relay copies from
 * it) fill in what a malformed message lacks, so even a poison message shows where it came from.
 */
export function toEventView(stored: StoredEvent): EventView {
  const text = new TextDecoder().decode(stored.payload);
  let envelope: Record<string, unknown> | null = null;
  let malformed: string | null = null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) envelope = parsed as Record<string, unknown>;
    else malformed = 'the payload is JSON but not an event envelope (an object)';
  } catch {
    malformed = 'the payload is not valid JSON';
  }
  const headers = stored.headers;
  const field = (name: string, header: string): string => {
    const value = envelope?.[name];
    return typeof value === 'string' ? value : (headers[header] ?? '');
  };
  const version = envelope?.version ?? (headers[Headers.EventVersion] ? Number(headers[Headers.EventVersion]) : null);
  return {
    sequence: stored.sequence,
    subject: stored.subject,
    id: field('id', Headers.MessageId),
    type: field('type', Headers.EventType) || '(unknown)',
    version: typeof version === 'number' && Number.isFinite(version) ? version : null,
    source: field('source', Headers.Source),
    aggregateId: field('aggregateId', Headers.AggregateId),
    correlationId: field('correlationId', Headers.CorrelationId),
    causationId: field('causationId', Headers.CausationId),
    occurredAt: typeof envelope?.occurredAt === 'string' ? envelope.occurredAt : null,
    storedAt: stored.storedAt.toISOString(),
    traceId: traceIdOf(headers[Headers.TraceParent]),
    headers: redactHeaders(headers),
    envelope: envelope ? redact(envelope) : text.slice(0, MAX_RAW_TEXT),
    malformed,
  };
}

/** The trace id of a W3C `traceparent` (`00-<32 hex trace id>-<16 hex span id>-<flags>`); null for none or an all-zero one. */
export function traceIdOf(traceparent: string | undefined): string | null {
  const match = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/.exec(traceparent?.trim() ?? '');
  return match && !/^0+$/.test(match[1] as string) ? (match[1] as string) : null;
}
