import {
  type Attributes,
  type Context,
  context,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

let installed = false;

/**
 * Installs the W3C trace-context propagator so `traceparent` flows from HTTP requests through the
 * outbox into message headers and on to every event a handler publishes, even with no
 * OpenTelemetry SDK running. An SDK started before the service (libs/platform's tracing preload)
 * installs its own propagator first; this one then changes nothing.
 */
export function installTracePropagation(): void {
  if (installed) return;
  // An SDK's propagator is in place already when injecting into a fresh carrier writes fields.
  if (propagation.fields().length === 0) propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  installed = true;
}

/**
 * The bus's spans, after the OpenTelemetry messaging semantic conventions. Only the API is used
 * here: with no SDK registered every call is the API's no-op (a span that records nothing), so the
 * bus costs nothing extra and stays free of any SDK; a service that starts one gets real spans.
 */
const tracer = trace.getTracer('@eventshop/messaging');

/** The API's own no-op provider: what the global provider delegates to while no SDK is registered. */
const NO_SDK = new ProxyTracerProvider().getDelegate();

/**
 * Whether an OpenTelemetry SDK is registered. Without one the bus skips its spans altogether (each
 * would be a no-op, yet parsing headers and allocating per message still cost microseconds).
 */
export function tracingActive(): boolean {
  const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
  return provider.getDelegate?.() !== NO_SDK;
}

/** Attribute names of the messaging semantic conventions that the bus's spans carry. */
export const MessagingAttributes = {
  System: 'messaging.system',
  Operation: 'messaging.operation.name',
  OperationType: 'messaging.operation.type',
  Destination: 'messaging.destination.name',
  ConsumerGroup: 'messaging.consumer.group.name',
  MessageId: 'messaging.message.id',
  ConversationId: 'messaging.message.conversation_id',
  BodySize: 'messaging.message.body.size',
  /** JetStream's delivery count: 1 on first delivery (no convention attribute exists for it). */
  DeliveryCount: 'messaging.nats.message.delivery_count',
  ErrorType: 'error.type',
} as const;

export const MESSAGING_SYSTEM = 'nats';

/** What a bus span is about: the subject and the message (an event's id, its correlation id). */
export interface MessageSpanTarget {
  readonly subject: string;
  readonly messageId: string;
  readonly correlationId?: string;
}

function messageAttributes(operation: string, operationType: string, target: MessageSpanTarget): Attributes {
  const attributes: Attributes = {
    [MessagingAttributes.System]: MESSAGING_SYSTEM,
    [MessagingAttributes.Operation]: operation,
    [MessagingAttributes.OperationType]: operationType,
    [MessagingAttributes.Destination]: target.subject,
    [MessagingAttributes.MessageId]: target.messageId,
  };
  if (target.correlationId) attributes[MessagingAttributes.ConversationId] = target.correlationId;
  return attributes;
}

/** The trace context in `carrier` (message or outbox headers), or none. */
export function traceContextFrom(carrier: Readonly<Record<string, string>> | undefined): Context {
  return carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

/** `traceparent` / `tracestate` of `traceContext`, as headers. */
function traceHeadersOf(traceContext: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(traceContext, carrier);
  return carrier;
}

/**
 * The parent of a span the bus starts for the current work: the active span when an SDK runs (the
 * HTTP server span, a handler's consumer span), else the trace context `carried` by the message
 * context (copied from the request's or message's headers), so `traceparent` still passes through.
 */
function currentParent(carried: Readonly<Record<string, string>> | undefined): Context {
  const active = context.active();
  return trace.getSpan(active) ? active : traceContextFrom(carried);
}

/** A span the bus started, and the context it is the active span of. */
export interface BusSpan {
  readonly span: Span;
  readonly context: Context;
}

/** The create span of an event, and the trace headers its outbox row stores. */
export interface CreateSpan extends BusSpan {
  readonly traceHeaders: Record<string, string>;
}

/**
 * The PRODUCER span of an event written to the outbox (operation `create`): a child of the current
 * work. Its context is what the outbox row stores (`traceHeaders`), so the relay and every consumer
 * continue the trace from it — the server's span, not the caller's. With no SDK running there is
 * no span (undefined): the row then carries on the trace context the work came with, as it is.
 */
export function startCreateSpan(target: MessageSpanTarget, carried?: Readonly<Record<string, string>>): CreateSpan | undefined {
  if (!tracingActive()) return undefined;
  const parent = currentParent(carried);
  const span = tracer.startSpan(
    `create ${target.subject}`,
    { kind: SpanKind.PRODUCER, attributes: messageAttributes('create', 'create', target) },
    parent,
  );
  const spanContext = trace.setSpan(parent, span);
  return { span, context: spanContext, traceHeaders: traceHeadersOf(spanContext) };
}

/**
 * The relay's publish of an outbox row (operation `send`): a child of, and linked to, the creation
 * context stored with the row, so the publish sits in the request's trace. Undefined without an SDK.
 */
export function startSendSpan(target: MessageSpanTarget, rowHeaders: Readonly<Record<string, string>>): BusSpan | undefined {
  if (!tracingActive()) return undefined;
  const creation = traceContextFrom(rowHeaders);
  const creationSpan = trace.getSpanContext(creation);
  const span = tracer.startSpan(
    `send ${target.subject}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: messageAttributes('publish', 'send', target),
      links: creationSpan ? [{ context: creationSpan }] : undefined,
    },
    creation,
  );
  return { span, context: trace.setSpan(creation, span) };
}

/** Where a delivery came in: the consumer group that handles it, and how often it was delivered. */
export interface DeliveryTarget extends MessageSpanTarget {
  readonly consumerGroup: string;
  readonly deliveryCount: number;
  readonly bodySize: number;
}

/**
 * The CONSUMER span of one handler invocation (operation `process`): a child of, and linked to,
 * the producer's context from the message headers. Undefined without an SDK.
 */
export function startProcessSpan(target: DeliveryTarget, headers: Readonly<Record<string, string>>): BusSpan | undefined {
  if (!tracingActive()) return undefined;
  const producer = traceContextFrom(headers);
  const producerSpan = trace.getSpanContext(producer);
  const attributes = messageAttributes('process', 'process', target);
  attributes[MessagingAttributes.ConsumerGroup] = target.consumerGroup;
  attributes[MessagingAttributes.DeliveryCount] = target.deliveryCount;
  attributes[MessagingAttributes.BodySize] = target.bodySize;
  const span = tracer.startSpan(
    `process ${target.subject}`,
    { kind: SpanKind.CONSUMER, attributes, links: producerSpan ? [{ context: producerSpan }] : undefined },
    producer,
  );
  return { span, context: trace.setSpan(producer, span) };
}

/** Marks `span` failed with `error`: error status, the exception event, `error.type`. */
export function recordSpanFailure(span: Span, error: unknown): void {
  const failure = error instanceof Error ? error : new Error(String(error));
  span.recordException(failure);
  span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
  span.setAttribute(MessagingAttributes.ErrorType, failure.name);
}

/**
 * Runs `work` with `busSpan` active (so the SQL and calls it makes are its children), records a
 * failure on it, and ends it. Without a span (no SDK) it only runs `work`.
 */
export async function inSpan<T>(busSpan: BusSpan | undefined, work: () => Promise<T>): Promise<T> {
  if (!busSpan) return work();
  try {
    return await context.with(busSpan.context, work);
  } catch (error) {
    recordSpanFailure(busSpan.span, error);
    throw error;
  } finally {
    busSpan.span.end();
  }
}
