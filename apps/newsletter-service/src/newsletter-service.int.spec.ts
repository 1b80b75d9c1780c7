import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { JetStreamManager } from '@nats-io/jetstream';
import type request from 'supertest';
import type { DataSource } from 'typeorm';
import { type EventContract, NewsletterSubscribedV1, UserSignedUpV1 } from '@eventshop/contracts';
import { consumerGroupName, Headers, type JetStreamPublisher, type Topology } from '@eventshop/messaging';
import { eventsOnStream, eventually, outboxDrained, publishEvent, type StoredEvent } from '@eventshop/messaging/testing';
import { LinkSigner, UNSUBSCRIBE_PURPOSE } from '@eventshop/platform';
import { serviceTestConfig, startServiceUnderTest, testJwtKeys, testTokenSigner, type ServiceUnderTest } from '@eventshop/platform/testing';
import { loadNewsletterServiceConfig, manifest } from './config.js';
import { NewsletterServiceModule } from './newsletter-service.module.js';
import { SUBSCRIBE_OPTED_IN_USERS } from './subscribe-opted-in-users/subscribe-opted-in-users.handler.js';

const LINK_SECRET = 'int-test-newsletter-link-secret';
const TEST_TIMEOUT_MS = 30_000;
/** Failure bound for waiting on the service's own consumers and relay (well inside a test's timeout). */
const PATIENCE_MS = 15_000;

/** The test plays user-service: it holds the signing key, the service under test gets the public one. */
const keys = testJwtKeys();
const config = serviceTestConfig(loadNewsletterServiceConfig, { name: 'newsletter', keys, env: { NEWSLETTER_LINK_SECRET: LINK_SECRET } });
const tokenFor = testTokenSigner(keys, config);

/** The test plays email-service too: it signs unsubscribe links with the shared secret. */
const linkSigner = new LinkSigner(LINK_SECRET);
const unsubscribeUrl = (userId: string, signature = linkSigner.sign(UNSUBSCRIBE_PURPOSE, userId)) =>
  `/subscriptions/unsubscribe?user=${userId}&sig=${encodeURIComponent(signature)}`;

describe('newsletter-service (in-process, real PostgreSQL + NATS JetStream)', () => {
  let service: ServiceUnderTest<typeof config>;
  let topology: Topology;
  let http: ReturnType<typeof request>;
  let dataSource: DataSource;
  let jsm: JetStreamManager;
  let publisher: JetStreamPublisher;

  beforeAll(async () => {
    service = await startServiceUnderTest({ serviceName: manifest.name, config, module: NewsletterServiceModule.register });
    ({ topology, dataSource, jsm, publisher } = service);
    http = service.http();
  }, 60_000);

  afterAll(() => service?.stop(), 30_000);

  const signUp = (newsletterOptIn: boolean, userId: string = randomUUID()) =>
    UserSignedUpV1.create(
      { userId, email: `${userId}@example.com`, name: 'Ann', newsletterOptIn, occurredAt: new Date().toISOString() },
      { correlationId: `signup-${userId}`, source: 'user-service', aggregateId: userId },
    );

  /**
   * Publishes a sign-up the way user-service's outbox relay does. `messageId` is the broker's dedup
   * id: another one than the event id gets a second copy of the same event past JetStream's
   * duplicate window, as a republish after that window would.
   */
  const publishSignUp = (event: UserSignedUpV1, messageId = event.id) => publishEvent(publisher, topology, event, { messageId });

  /** True once the sign-up consumer group has been handed every published sign-up and acked it. */
  const signUpsHandled = async () => {
    const info = await jsm.consumers.info(topology.eventsStream, consumerGroupName(manifest.name, SUBSCRIBE_OPTED_IN_USERS));
    return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
  };

  const statusOf = async (userId: string) =>
    (await http.get('/subscriptions/me').set('Authorization', `Bearer ${tokenFor(userId)}`).expect(200)).body as {
      subscribed: boolean;
      since: string | null;
    };

  /** A user whose opted-in sign-up has been handled. */
  const subscribedUser = async () => {
    const event = signUp(true);
    await publishSignUp(event);
    await eventually(
      async () => ((await statusOf(event.data.userId)).subscribed ? true : undefined),
      PATIENCE_MS,
      'the sign-up to subscribe the user',
    );
    return event.data.userId;
  };

  /** True once the relay has published every outbox row: whatever the service staged is on the stream. */
  const outboxRelayed = () => outboxDrained(dataSource);

  /** Every event of `contract` about `userId` stored in the namespace's events stream. */
  const onStream = async (contract: EventContract, userId: string) =>
    (await eventsOnStream<{ userId: string }>(jsm, topology, contract.subject)).filter(({ envelope }) => envelope.data.userId === userId);

  /**
   * What the service has published about a user, as `Type:reason-or-via`, in order: once its outbox
   * is drained, every change it committed is on the stream (the relay itself is tested in libs/messaging).
   */
  const announced = async (userId: string) => {
    await eventually(outboxRelayed, PATIENCE_MS, 'the outbox to be relayed');
    const events = await eventsOnStream<{ reason?: string; via?: string }>(jsm, topology);
    return events
      .filter(({ envelope }) => envelope.source === 'newsletter-service' && envelope.aggregateId === userId)
      .map(({ envelope }) => `${envelope.type}:${envelope.data.reason ?? envelope.data.via}`);
  };

  it('subscribes an opted-in user, and NewsletterSubscribed reaches the stream once although the sign-up came twice', async () => {
    const event = signUp(true);
    await publishSignUp(event);
    await publishSignUp(event, `${event.id}-republished`);
    expect(await onStream(UserSignedUpV1, event.data.userId)).toHaveLength(2);
    await eventually(signUpsHandled, PATIENCE_MS, 'both copies of the sign-up to be handled');
    // Both copies are handled; once the relay has published everything, a second event would show.
    await eventually(outboxRelayed, PATIENCE_MS, 'the outbox to be relayed');

    const published = await onStream(NewsletterSubscribedV1, event.data.userId);
    expect(published).toHaveLength(1);
    const [{ envelope, headers }] = published as [StoredEvent<{ userId: string }>];
    expect(envelope).toMatchObject({
      type: 'NewsletterSubscribed',
      source: 'newsletter-service',
      aggregateId: event.data.userId,
      correlationId: event.correlationId,
      causationId: event.id,
      data: { userId: event.data.userId, reason: 'signup', subscribedAt: event.data.occurredAt },
    });
    expect(headers[Headers.MessageId]).toBe(envelope.id);
    expect(await statusOf(event.data.userId)).toEqual({ subscribed: true, since: event.data.occurredAt });
  }, TEST_TIMEOUT_MS);

  it('does not subscribe, nor keep, a user who opted out', async () => {
    const event = signUp(false);
    await publishSignUp(event);
    await eventually(signUpsHandled, PATIENCE_MS, 'the sign-up to be handled');

    expect(await statusOf(event.data.userId)).toEqual({ subscribed: false, since: null });
    expect(await announced(event.data.userId)).toEqual([]);
    expect(await dataSource.query(`SELECT 1 FROM subscriptions WHERE user_id = $1`, [event.data.userId])).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('unsubscribes through the signed link (GET, or RFC 8058 one-click POST), announcing it once', async () => {
    const userId = await subscribedUser();

    const page = await http.get(unsubscribeUrl(userId)).set('Accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).toContain('You are unsubscribed');

    const status = await statusOf(userId);
    expect(status).toEqual({ subscribed: false, since: expect.any(String) });

    // Following the link again, asking for JSON, and the one-click POST: the same answer, nothing new published.
    const json = await http.get(unsubscribeUrl(userId)).set('Accept', 'application/json');
    expect(json.status).toBe(200);
    expect(json.body).toEqual(status);
    const oneClick = await http.post(unsubscribeUrl(userId)).type('form').send('List-Unsubscribe=One-Click');
    expect(oneClick.status).toBe(200);

    expect(await announced(userId)).toEqual(['NewsletterSubscribed:signup', 'NewsletterUnsubscribed:link']);
  }, TEST_TIMEOUT_MS);

  it('one-click POST unsubscribes on its own too', async () => {
    const userId = await subscribedUser();
    const response = await http.post(unsubscribeUrl(userId)).type('form').send('List-Unsubscribe=One-Click');
    expect(response.status).toBe(200);
    expect((await statusOf(userId)).subscribed).toBe(false);
    expect(await announced(userId)).toEqual(['NewsletterSubscribed:signup', 'NewsletterUnsubscribed:link']);
  }, TEST_TIMEOUT_MS);

  it('refuses a forged link with 403 and an incomplete one with 400, as a page or JSON, changing nothing', async () => {
    const userId = await subscribedUser();
    const genuine = linkSigner.sign(UNSUBSCRIBE_PURPOSE, userId);
    const forgeries = [
      linkSigner.sign(UNSUBSCRIBE_PURPOSE, randomUUID()),
      new LinkSigner('another-secret-of-enough-length').sign(UNSUBSCRIBE_PURPOSE, userId),
      genuine.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
      'not-a-signature',
    ];
    for (const signature of forgeries) {
      const json = await http.get(unsubscribeUrl(userId, signature)).set('Accept', 'application/json');
      expect(json.status).toBe(403);
      expect(json.body.message).toMatch(/not valid/);
      expect((await http.post(unsubscribeUrl(userId, signature))).status).toBe(403);
    }
    const page = await http.get(unsubscribeUrl(userId, forgeries[0])).set('Accept', 'text/html');
    expect(page.status).toBe(403);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('not valid');

    const noSignature = await http.get(`/subscriptions/unsubscribe?user=${userId}`).set('Accept', 'application/json');
    expect(noSignature.status).toBe(400);
    expect(noSignature.body.errors.map((error: { field: string }) => error.field)).toEqual(['sig']);
    const noUser = await http.get(`/subscriptions/unsubscribe?user=nobody&sig=${genuine}`).set('Accept', 'application/json');
    expect(noUser.status).toBe(400);
    expect(noUser.body.errors.map((error: { field: string }) => error.field)).toEqual(['user']);
    const incompletePage = await http.get('/subscriptions/unsubscribe').set('Accept', 'text/html');
    expect(incompletePage.status).toBe(400);
    expect(incompletePage.text).toContain('incomplete');

    expect((await statusOf(userId)).subscribed).toBe(true);
    expect(await announced(userId)).toEqual(['NewsletterSubscribed:signup']);
  }, TEST_TIMEOUT_MS);

  it('lets a signed-in user leave and come back; repeating either changes nothing', async () => {
    const userId = await subscribedUser();
    const auth = `Bearer ${tokenFor(userId)}`;

    const left = await http.delete('/subscriptions/me').set('Authorization', auth);
    expect(left.status).toBe(200);
    expect(left.body).toEqual({ subscribed: false, since: expect.any(String) });
    expect((await http.delete('/subscriptions/me').set('Authorization', auth)).body).toEqual(left.body);

    const back = await http.post('/subscriptions/me').set('Authorization', auth);
    expect(back.status).toBe(200);
    expect(back.body).toEqual({ subscribed: true, since: expect.any(String) });
    expect((await http.post('/subscriptions/me').set('Authorization', auth)).body).toEqual(back.body);
    expect(await statusOf(userId)).toEqual(back.body);

    expect(await announced(userId)).toEqual([
      'NewsletterSubscribed:signup',
      'NewsletterUnsubscribed:account',
      'NewsletterSubscribed:resubscribe',
    ]);
  }, TEST_TIMEOUT_MS);

  it('answers /subscriptions/me only with a valid bearer token', async () => {
    const userId = randomUUID();
    expect((await http.get('/subscriptions/me')).status).toBe(401);
    expect((await http.post('/subscriptions/me')).status).toBe(401);
    expect((await http.delete('/subscriptions/me')).status).toBe(401);
    const { privateKey: foreignKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    expect((await http.get('/subscriptions/me').set('Authorization', `Bearer ${tokenFor(userId, foreignKey)}`)).status).toBe(401);
    // A user this service has no subscription for (opted out, or sign-up still on its way).
    expect(await statusOf(userId)).toEqual({ subscribed: false, since: null });
  }, TEST_TIMEOUT_MS);

  it('publishes once when changes of one subscription race, whether or not it existed yet', async () => {
    const existing = await subscribedUser();
    const leaving = await Promise.all([
      ...Array.from({ length: 3 }, () => http.delete('/subscriptions/me').set('Authorization', `Bearer ${tokenFor(existing)}`)),
      ...Array.from({ length: 3 }, () => http.get(unsubscribeUrl(existing)).set('Accept', 'application/json')),
    ]);
    expect(leaving.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect((await announced(existing)).filter((event) => event.startsWith('NewsletterUnsubscribed'))).toHaveLength(1);

    const newcomer = randomUUID();
    const joining = await Promise.all(
      Array.from({ length: 6 }, () => http.post('/subscriptions/me').set('Authorization', `Bearer ${tokenFor(newcomer)}`)),
    );
    expect(joining.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await announced(newcomer)).toEqual(['NewsletterSubscribed:resubscribe']);
  }, TEST_TIMEOUT_MS);

  it('keeps a choice made before the sign-up arrived: a late opted-in sign-up does not subscribe', async () => {
    const event = signUp(true);
    const { userId } = event.data;
    const left = await http.get(unsubscribeUrl(userId)).set('Accept', 'application/json');
    expect(left.body).toEqual({ subscribed: false, since: expect.any(String) });

    await publishSignUp(event);
    await eventually(signUpsHandled, PATIENCE_MS, 'the sign-up to be handled');

    expect(await statusOf(userId)).toEqual(left.body);
    expect(await announced(userId)).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
