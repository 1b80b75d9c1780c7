import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { OtlpSpanKind, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@eventshop/platform/testing';
import { eventually, startShop, uniqueEmail, type Shop } from './support/shop.js';

const SERVICES = ['user-service', 'email-service', 'newsletter-service'];

/** Whether `span` hangs (directly or further down) under `ancestor` in `trace`. */
function isUnder(span: ReceivedSpan, ancestor: ReceivedSpan, trace: readonly ReceivedSpan[]): boolean {
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  for (let parent = byId.get(span.parentSpanId); parent; parent = byId.get(parent.parentSpanId)) {
    if (parent.spanId === ancestor.spanId) return true;
  }
  return false;
}

const isSql = (span: ReceivedSpan) => span.kind === OtlpSpanKind.Client && (span.attributes['db.system.name'] ?? span.attributes['db.system']) === 'postgresql';

describe('one sign-up is one trace across user-, email- and newsletter-service (OTLP to a receiver of our own)', () => {
  let receiver: OtlpReceiver;
  let shop: Shop;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    shop = await startShop(SERVICES, {
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_TRACES_SAMPLER: 'parentbased_always_on',
        // Export every 100 ms, so the test does not wait out the default 5 s batch delay.
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
  }, 90_000);

  afterAll(async () => {
    await shop?.stop();
    await receiver?.close();
  }, 60_000);

  it('POST /users → INSERT → outbox → relay publish → each consumer → its SQL → the SMTP send', async () => {
    const email = uniqueEmail('traced');
    const response = await request(shop.url('user-service'))
      .post('/users')
      .send({ email, password: 'correct horse', name: 'Tracy Example', newsletter: true });
    expect(response.status).toBe(201);
    // Every span of the request's trace, once the last ones (SMTP, the newsletter's SQL) are in.
    const { server, trace } = await eventually(
      async () => {
        const server = receiver.spans.find(
          (span) => span.service === 'user-service' && span.kind === OtlpSpanKind.Server && span.attributes['http.route'] === '/users',
        );
        if (!server) return undefined;
        const trace = receiver.spans.filter((span) => span.traceId === server.traceId);
        const consumerOf = (service: string) => trace.find((span) => span.service === service && span.kind === OtlpSpanKind.Consumer);
        const email = consumerOf('email-service');
        const newsletter = consumerOf('newsletter-service');
        const ready =
          email &&
          newsletter &&
          trace.some((span) => span.name === 'smtp send') &&
          trace.some((span) => span.service === 'newsletter-service' && isSql(span) && isUnder(span, newsletter, trace));
        return ready ? { server, trace } : undefined;
      },
      30_000,
      'the sign-up trace with its consumers, SQL and SMTP spans',
    );

    expect(new Set(trace.map((span) => span.service))).toEqual(new Set(SERVICES));
    // The request's server span is the root: nothing came in with the request.
    expect(server.parentSpanId).toBe('');
    expect(server.name).toBe('POST /users');
    expect(trace.filter((span) => span.parentSpanId === '')).toEqual([server]);

    // The INSERT of the user and the outbox write (a PRODUCER span) under the request.
    expect(trace.some((span) => span.service === 'user-service' && isSql(span) && isUnder(span, server, trace))).toBe(true);
    const subject = `${shop.namespace}.events.user.user-signed-up.v2`;
    const create = trace.find((span) => span.name === `create ${subject}`);
    expect(create).toMatchObject({ service: 'user-service', kind: OtlpSpanKind.Producer });
    expect(isUnder(create!, server, trace)).toBe(true);
    expect(create!.attributes).toMatchObject({ 'messaging.system': 'nats', 'messaging.destination.name': subject });

    // The relay's publish: a child of, and linked to, the creation context.
    const send = trace.find((span) => span.name === `send ${subject}`);
    expect(send).toMatchObject({ service: 'user-service', kind: OtlpSpanKind.Producer, parentSpanId: create!.spanId });
    expect(send!.links).toEqual([{ traceId: create!.traceId, spanId: create!.spanId }]);

    // Each consumer's handler: a CONSUMER span, child of and linked to the producer span.
    const consumers = trace.filter((span) => span.kind === OtlpSpanKind.Consumer);
    expect(new Set(consumers.map((span) => span.service))).toEqual(new Set(['email-service', 'newsletter-service']));
    for (const consumer of consumers) {
      expect(consumer).toMatchObject({ name: `process ${subject}`, parentSpanId: create!.spanId });
      expect(consumer.links).toEqual([{ traceId: create!.traceId, spanId: create!.spanId }]);
      expect(consumer.attributes).toMatchObject({
        'messaging.system': 'nats',
        'messaging.destination.name': subject,
        'messaging.consumer.group.name': expect.stringMatching(new RegExp(`^${consumer.service}__`)),
        'messaging.message.id': create!.attributes['messaging.message.id'],
        'messaging.nats.message.delivery_count': 1,
      });
    }

    // The handlers' SQL under their consumer spans, and the SMTP send under email-service's.
    const underConsumerOf = (service: string, match: (span: ReceivedSpan) => boolean) =>
      trace.some((span) => span.service === service && match(span) && consumers.some((consumer) => consumer.service === service && isUnder(span, consumer, trace)));
    expect(underConsumerOf('email-service', isSql)).toBe(true);
    expect(underConsumerOf('newsletter-service', isSql)).toBe(true);
    expect(underConsumerOf('email-service', (span) => span.name === 'smtp send' && span.kind === OtlpSpanKind.Client)).toBe(true);
  }, 60_000);
});
