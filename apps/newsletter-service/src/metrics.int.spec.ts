// /metrics and /health/ready of a running service move with its traffic: HTTP requests by route
// template, handled messages, and its consumer group's lag from JetStream, which rises while the
// handler is held up and drains back to 0. Real PostgreSQL and NATS; the handler is held up by
// locking its inbox table, so the events wait on the broker exactly as they would behind a slow
// dependency.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { contractFor, UserSignedUpV1 } from '@eventshop/contracts';
import { consumerGroupName, MetricNames, namespacedSubject } from '@eventshop/messaging';
import { eventually, publishEvent } from '@eventshop/messaging/testing';
import { HttpMetrics } from '@eventshop/platform';
import { scrapedSample, serviceTestConfig, startServiceUnderTest, testJwtKeys, testTokenSigner, type ServiceUnderTest } from '@eventshop/platform/testing';
import { loadNewsletterServiceConfig, manifest } from './config.js';
import { NewsletterServiceModule } from './newsletter-service.module.js';
import { SUBSCRIBE_OPTED_IN_USERS } from './subscribe-opted-in-users/subscribe-opted-in-users.handler.js';

const PATIENCE_MS = 20_000;
/** Readiness fails above this many undelivered messages in one group; the test backs up more. */
const MAX_PENDING = 5;
const BACKLOG = 60;

const keys = testJwtKeys();
const config = serviceTestConfig(loadNewsletterServiceConfig, {
  name: 'newsletter_metrics',
  keys,
  env: { NEWSLETTER_LINK_SECRET: 'int-test-metrics-link-secret', READY_MAX_CONSUMER_PENDING: String(MAX_PENDING) },
});
const tokenFor = testTokenSigner(keys, config);
const group = consumerGroupName(manifest.name, SUBSCRIBE_OPTED_IN_USERS);

describe('newsletter-service /metrics and readiness under traffic', () => {
  let service: ServiceUnderTest<typeof config>;

  beforeAll(async () => {
    service = await startServiceUnderTest({ serviceName: manifest.name, config, module: NewsletterServiceModule.register });
  }, 60_000);

  afterAll(() => service?.stop(), 30_000);

  const scrape = async () => {
    const response = await service.http().get('/metrics').expect(200);
    return response.text;
  };
  const signUp = () => {
    const userId = randomUUID();
    return UserSignedUpV1.create(
      { userId, email: `${userId}@example.com`, name: 'Ann', newsletterOptIn: true, occurredAt: new Date().toISOString() },
      { correlationId: `metrics-${userId}`, source: 'user-service', aggregateId: userId },
    );
  };

  it('counts HTTP requests by route template and status', async () => {
    const requests = HttpMetrics.RequestSeconds.name + '_count';
    const before = await scrape();
    const count = (text: string, labels: Record<string, string>) => scrapedSample(text, requests, { service: manifest.name, ...labels }) ?? 0;

    await service.http().get('/subscriptions/me').set('Authorization', `Bearer ${tokenFor(randomUUID())}`).expect(200);
    await service.http().get('/subscriptions/me').set('Authorization', `Bearer ${tokenFor(randomUUID())}`).expect(200);
    await service.http().get('/subscriptions/me').expect(401);
    await service.http().get(`/no-such-page/${randomUUID()}`).expect(404);

    const after = await scrape();
    const me = { method: 'GET', route: '/subscriptions/me' };
    expect(count(after, { ...me, status: '200' }) - count(before, { ...me, status: '200' })).toBe(2);
    expect(count(after, { ...me, status: '401' }) - count(before, { ...me, status: '401' })).toBe(1);
    expect(count(after, { method: 'GET', route: 'unmatched', status: '404' }) - count(before, { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
  }, 30_000);

  it('lag rises while the handler is held up (readiness 503 above the threshold), then drains to 0 as the handled count rises', async () => {
    const pending = (text: string) => scrapedSample(text, MetricNames.ConsumerPending, { consumer: group });
    const acked = (text: string) => scrapedSample(text, MetricNames.MessagesHandled, { consumer: group, outcome: 'ack' }) ?? 0;
    const start = await scrape();
    expect(pending(start)).toBe(0);
    const handledBefore = acked(start);
    expect((await service.http().get('/health/ready')).status).toBe(200);

    // Hold the handler: its inbox insert waits for this lock, so the group stops acking.
    const holder = service.dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await holder.rollbackTransaction();
      await holder.release();
    };
    try {
      await holder.query('LOCK TABLE inbox_messages IN ACCESS EXCLUSIVE MODE');
      for (let i = 0; i < BACKLOG; i++) await publishEvent(service.publisher, service.topology, signUp());

      const backedUp = await eventually(async () => {
        const text = await scrape();
        return (pending(text) ?? 0) > MAX_PENDING ? text : undefined;
      }, PATIENCE_MS, 'the lag gauge to show the backlog');
      expect(pending(backedUp)! + (scrapedSample(backedUp, MetricNames.ConsumerAckPending, { consumer: group }) ?? 0)).toBe(BACKLOG);

      const notReady = await eventually(async () => {
        const response = await service.http().get('/health/ready');
        return response.status === 503 ? response : undefined;
      }, PATIENCE_MS, 'readiness to fail on the lag');
      expect(notReady.body.error.consumers).toMatchObject({ status: 'down', maxPending: MAX_PENDING, behind: [group] });
      expect(notReady.body.details).toMatchObject({ database: { status: 'up' }, nats: { status: 'up' } });
      expect((await service.http().get('/health/live')).status).toBe(200);
    } finally {
      await release();
    }

    const drained = await eventually(async () => {
      const text = await scrape();
      return pending(text) === 0 && scrapedSample(text, MetricNames.ConsumerAckPending, { consumer: group }) === 0 ? text : undefined;
    }, PATIENCE_MS, 'the lag to drain');
    expect(acked(drained) - handledBefore).toBe(BACKLOG);
    const ready = await service.http().get('/health/ready').expect(200);
    expect(ready.body.details.consumers).toMatchObject({ status: 'up', groups: { [group]: { pending: 0, ackPending: 0 } } });
  }, 60_000);

  it('counts a dead letter by reason class, and the dead-letter stream depth of the group follows', async () => {
    const before = await scrape();
    const depthBefore = scrapedSample(before, MetricNames.DeadLetterDepth, { consumer: group }) ?? 0;
    const permanentBefore = scrapedSample(before, MetricNames.DeadLetters, { consumer: group, reason: 'permanent' }) ?? 0;
    // A sign-up that breaks its contract (no userId): parked at once, never retried.
    const id = randomUUID();
    await service.publisher.publish({
      id,
      subject: namespacedSubject(service.topology, contractFor('UserSignedUp', 1)!.subject),
      payload: new TextEncoder().encode(JSON.stringify({ id, type: 'UserSignedUp', version: 1, data: { email: 'broken' } })),
      headers: { 'Nats-Msg-Id': id },
    });

    const after = await eventually(async () => {
      const text = await scrape();
      return scrapedSample(text, MetricNames.DeadLetterDepth, { consumer: group }) === depthBefore + 1 ? text : undefined;
    }, PATIENCE_MS, 'the dead-letter depth to rise');
    expect(scrapedSample(after, MetricNames.DeadLetters, { consumer: group, reason: 'permanent' })).toBe(permanentBefore + 1);
    expect(scrapedSample(after, MetricNames.MessagesHandled, { consumer: group, outcome: 'error' })).toBeGreaterThanOrEqual(1);
  }, 30_000);
});
