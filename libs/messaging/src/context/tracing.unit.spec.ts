// The bus's spans with a real OpenTelemetry tracer exporting to memory: the outbox write, the
// relay's publish and each handler invocation, and how they hang together.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { EntityManager } from 'typeorm';
import { UserSignedUpV1 } from '@eventshop/contracts';
import { encodeJson } from '../message.js';
import { topologyFor } from '../jetstream/topology.js';
import { InMemoryPubSub } from '../memory/in-memory-pubsub.js';
import { EventBus } from '../outbox/event-bus.js';
import { consumerGroupName, MessageRouter } from '../router/message-router.js';
import { messageContext } from './message-context.js';
import { startSendSpan } from './tracing.js';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const testTracer = provider.getTracer('test');
const topology = topologyFor('tr');
const SIGNED_UP_SUBJECT = `${topology.eventsSubjectRoot}.user.user-signed-up.v1`;

beforeAll(() => {
  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});

let bus: InMemoryPubSub;
beforeEach(() => {
  bus = new InMemoryPubSub();
  exporter.reset();
});
afterEach(() => bus.close());

/** An outbox transaction that only remembers what was inserted. */
function recordingTransaction() {
  const inserted: unknown[][] = [];
  const transaction = {
    query: async (_sql: string, params: unknown[]) => {
      // What a pg instrumentation does: a span for the statement, under whatever span is active.
      testTracer.startSpan('INSERT outbox_messages').end();
      inserted.push(params);
    },
  } as unknown as EntityManager;
  return { transaction, inserted, headers: () => JSON.parse(inserted.at(-1)![4] as string) as Record<string, string> };
}

const signUpData = () => ({ userId: randomUUID(), email: 'ada@example.com', name: 'Ada', newsletterOptIn: true, occurredAt: new Date().toISOString() });

/** Writes a sign-up through the outbox inside a server span; returns the row's headers and the spans. */
async function signUpInServerSpan() {
  const outbox = recordingTransaction();
  const server = testTracer.startSpan('POST /users', { kind: SpanKind.SERVER });
  const envelope = await messageContext.run({ correlationId: 'corr-1', causationId: null, trace: {} }, () =>
    context.with(trace.setSpan(context.active(), server), () =>
      new EventBus('user-service', topology).publish(outbox.transaction, UserSignedUpV1, signUpData(), { aggregateId: 'u1' }),
    ),
  );
  server.end();
  return { envelope, headers: outbox.headers(), server };
}

const spanNamed = (name: string): ReadableSpan => {
  const found = exporter.getFinishedSpans().find((span) => span.name === name);
  if (!found) throw new Error(`no span "${name}" among ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
  return found;
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('bus spans', () => {
  it("the outbox write is a PRODUCER span under the server's, and the row carries its context, not the caller's", async () => {
    const { envelope, headers, server } = await signUpInServerSpan();

    const create = spanNamed(`create ${SIGNED_UP_SUBJECT}`);
    expect(create.kind).toBe(SpanKind.PRODUCER);
    expect(parentOf(create)).toBe(server.spanContext().spanId);
    expect(create.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.operation.type': 'create',
      'messaging.destination.name': SIGNED_UP_SUBJECT,
      'messaging.message.id': envelope.id,
      'messaging.message.conversation_id': 'corr-1',
    });
    // The INSERT runs inside the create span.
    expect(parentOf(spanNamed('INSERT outbox_messages'))).toBe(create.spanContext().spanId);
    expect(headers.traceparent).toBe(`00-${create.spanContext().traceId}-${create.spanContext().spanId}-01`);
  });

  it("without an active span the row passes on the caller's trace context (no SDK: traceparent still flows)", async () => {
    const outbox = recordingTransaction();
    const callers = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await messageContext.run({ correlationId: 'corr-2', causationId: null, trace: { traceparent: callers } }, () =>
      new EventBus('user-service', topology).publish(outbox.transaction, UserSignedUpV1, signUpData(), { aggregateId: 'u2' }),
    );
    const create = spanNamed(`create ${SIGNED_UP_SUBJECT}`);
    expect(create.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(parentOf(create)).toBe('b7ad6b7169203331');
  });

  it("the relay's publish is a `send` span, child of and linked to the row's creation context", async () => {
    const { headers } = await signUpInServerSpan();
    const create = spanNamed(`create ${SIGNED_UP_SUBJECT}`);
    const sending = startSendSpan({ subject: SIGNED_UP_SUBJECT, messageId: 'm1' }, headers)!;
    sending.span.end();

    const send = spanNamed(`send ${SIGNED_UP_SUBJECT}`);
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(send.spanContext().traceId).toBe(create.spanContext().traceId);
    expect(parentOf(send)).toBe(create.spanContext().spanId);
    expect(send.links.map((link) => link.context.spanId)).toEqual([create.spanContext().spanId]);
    expect(send.attributes).toMatchObject({ 'messaging.operation.type': 'send', 'messaging.message.id': 'm1' });
  });

  it("each handler invocation is a CONSUMER span, child of and linked to the producer's; the handler's work is under it", async () => {
    const { envelope, headers } = await signUpInServerSpan();
    const create = spanNamed(`create ${SIGNED_UP_SUBJECT}`);
    const republished = recordingTransaction();
    let handled!: () => void;
    const done = new Promise<void>((resolve) => (handled = resolve));
    const router = new MessageRouter({ serviceName: 'email-service', subscriber: bus, publisher: bus, topology });
    await router.subscribe({ handler: 'welcome', contracts: [UserSignedUpV1] }, async () => {
      testTracer.startSpan('SELECT recipients').end();
      // An event published while handling: its create span hangs under the consumer span.
      await new EventBus('email-service', topology).publish(republished.transaction, UserSignedUpV1, signUpData(), { aggregateId: 'u3' });
      handled();
    });

    await bus.publish({ id: envelope.id, subject: SIGNED_UP_SUBJECT, payload: encodeJson(envelope), headers });
    await done;
    await router.close();

    const consumer = spanNamed(`process ${SIGNED_UP_SUBJECT}`);
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(consumer.spanContext().traceId).toBe(create.spanContext().traceId);
    expect(parentOf(consumer)).toBe(create.spanContext().spanId);
    expect(consumer.links.map((link) => link.context.spanId)).toEqual([create.spanContext().spanId]);
    expect(consumer.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.operation.type': 'process',
      'messaging.destination.name': SIGNED_UP_SUBJECT,
      'messaging.consumer.group.name': consumerGroupName('email-service', 'welcome'),
      'messaging.message.id': envelope.id,
      'messaging.nats.message.delivery_count': 1,
    });
    expect(consumer.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(parentOf(spanNamed('SELECT recipients'))).toBe(consumer.spanContext().spanId);
    const republishedCreate = exporter.getFinishedSpans().filter((span) => span.name === `create ${SIGNED_UP_SUBJECT}`).at(-1)!;
    expect(parentOf(republishedCreate)).toBe(consumer.spanContext().spanId);
    expect(republished.headers().traceparent).toContain(republishedCreate.spanContext().spanId);
  });

  it('a failed invocation has error status, and the redelivery is a new span with its delivery count', async () => {
    const { envelope, headers } = await signUpInServerSpan();
    let attempts = 0;
    let succeeded!: () => void;
    const done = new Promise<void>((resolve) => (succeeded = resolve));
    const router = new MessageRouter({
      serviceName: 'email-service',
      subscriber: bus,
      publisher: bus,
      topology,
      retry: { maxAttempts: 3, initialIntervalMs: 1, maxIntervalMs: 1 },
    });
    await router.subscribe({ handler: 'flaky', contracts: [UserSignedUpV1] }, async () => {
      attempts++;
      if (attempts === 1) throw new Error('SMTP server said no');
      succeeded();
    });

    await bus.publish({ id: envelope.id, subject: SIGNED_UP_SUBJECT, payload: encodeJson(envelope), headers });
    await done;
    await router.close();

    const consumers = exporter.getFinishedSpans().filter((span) => span.name === `process ${SIGNED_UP_SUBJECT}`);
    expect(consumers.map((span) => span.attributes['messaging.nats.message.delivery_count'])).toEqual([1, 2]);
    const [failed, retried] = consumers;
    expect(failed!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'SMTP server said no' });
    expect(failed!.attributes['error.type']).toBe('Error');
    expect(failed!.events.map((event) => event.name)).toContain('exception');
    expect(retried!.status.code).not.toBe(SpanStatusCode.ERROR);
  });
});
