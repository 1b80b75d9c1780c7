import type { EntityManager } from 'typeorm';
import type { EventContract, EventEnvelope } from '@eventshop/contracts';
import { type z } from 'zod';
import { Headers } from '../message.js';
import { messageContext } from '../context/message-context.js';
import { inSpan, startCreateSpan } from '../context/tracing.js';
import { randomUUID } from 'node:crypto';
import { namespacedSubject, type Topology } from '../jetstream/topology.js';

/**
 * Publishes integration events through the transactional outbox.
 *
 * Contract: `publish` must be called with the caller's open transaction. The event is stored in
 * that transaction and nothing reaches the broker unless the transaction commits; once it commits,
 * the relay publishes it (at least once, deduplicated by event id). Correlation and causation
 * come from the current message context. Writing the row is a PRODUCER span (`create <subject>`,
 * a child of the current work); the row's headers carry that span's trace context.
 */
export class EventBus {
  constructor(
    /** The publishing service: the event's owner, recorded as `source`. */
    private readonly source: string,
    private readonly topology: Topology,
  ) {}

  async publish<C extends EventContract>(
    transaction: EntityManager,
    contract: C,
    data: z.input<C['schema']>,
    options: { aggregateId: string },
  ): Promise<EventEnvelope<z.output<C['schema']>>> {
    const context = messageContext.current();
    const envelope = contract.create(data, {
      // Work started outside any request or message still gets a correlation id of its own.
      correlationId: context?.correlationId ?? randomUUID(),
      causationId: context?.causationId ?? null,
      source: this.source,
      aggregateId: options.aggregateId,
    });
    const subject = namespacedSubject(this.topology, contract.subject);
    const created = startCreateSpan({ subject, messageId: envelope.id, correlationId: envelope.correlationId }, context?.trace);
    await inSpan(created, () =>
      transaction.query(
        `INSERT INTO outbox_messages (event_id, subject, aggregate_id, payload, headers) VALUES ($1, $2, $3, $4, $5)`,
        [
          envelope.id,
          subject,
          envelope.aggregateId,
          JSON.stringify(envelope),
          JSON.stringify(eventHeaders(envelope, created?.traceHeaders ?? context?.trace)),
        ],
      ),
    );
    return envelope as EventEnvelope<z.output<C['schema']>>;
  }
}

/**
 * The headers every event message carries: correlation and causation, type and version, aggregate,
 * source, content type, and the W3C trace context. `Nats-Msg-Id` is added by whoever publishes.
 */
export function eventHeaders(envelope: EventEnvelope, trace: Readonly<Record<string, string>> = {}): Record<string, string> {
  const headers: Record<string, string> = {
    ...trace,
    [Headers.CorrelationId]: envelope.correlationId,
    [Headers.EventType]: envelope.type,
    [Headers.EventVersion]: String(envelope.version),
    [Headers.AggregateId]: envelope.aggregateId,
    [Headers.Source]: envelope.source,
    [Headers.ContentType]: 'application/json',
  };
  if (envelope.causationId) headers[Headers.CausationId] = envelope.causationId;
  return headers;
}
