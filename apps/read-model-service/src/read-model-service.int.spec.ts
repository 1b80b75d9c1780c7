import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import pg from 'pg';
import { OrderPlacedV1, UserSignedUpV1 } from '@eventshop/contracts';
import { DataSource } from 'typeorm';
import { eventually } from '@eventshop/messaging/testing';
import { ADMIN_TOKEN_HEADER, databaseUrl, ServiceLogger } from '@eventshop/platform';
import { at, envelope, fixturePeople, seededRandom, shuffledWithDuplicates, userHistory } from './testing/history.fixture.js';
import { type RunningReadModel, startReadModelService, TEST_ADMIN_TOKEN } from './testing/service.fixture.js';
import { ReadModelClient, ReadModelQueryError } from './request-reply/read-model.client.js';
import { querySubject } from './request-reply/read-model.rpc-api.js';
import { LIVE_SCHEMA } from './read-model/infrastructure/projection-tables.js';
import { ProjectionWriter } from './read-model/infrastructure/projection-writer.js';
import { EVENT_HISTORY, type EventHistory } from './read-model/domain/event-history.port.js';
import { RebuildReadModelHandler } from './rebuild/rebuild.handler.js';

describe('read-model-service (in-process; real PostgreSQL and NATS JetStream)', () => {
  let service: RunningReadModel;
  let client: ReadModelClient;
  const ann = userHistory();
  const bob = userHistory();
  /** Messages published to the stream so far, copies included. */
  let storedMessages = 0;

  const get = (path: string, userId: string) => request(service.url).get(path).set('Authorization', `Bearer ${service.tokenFor(userId)}`);
  const restAnswers = async (userId: string) => ({
    overview: (await get(`/users/${userId}`, userId).expect(200)).body,
    orders: (await get(`/users/${userId}/orders`, userId).expect(200)).body,
    timeline: (await get(`/users/${userId}/timeline`, userId).expect(200)).body,
  });
  const drained = () => eventually(async () => ((await service.consumerDrained()) ? true : undefined), 20_000, 'the projection consumer to drain');

  beforeAll(async () => {
    service = await startReadModelService();
    client = new ReadModelClient(service.connection, { namespace: service.namespace, timeoutMs: 5_000 });
    // Ann's events reach the stream in the order they happened.
    await service.events.publishAll(ann.events);
    storedMessages += ann.events.length;
    // Bob's arrive shuffled, and some are stored twice (republished after the dedup window: new message ids).
    const copies = new Map<string, number>();
    for (const event of shuffledWithDuplicates(bob.events, seededRandom(7))) {
      const copy = copies.get(event.id) ?? 0;
      copies.set(event.id, copy + 1);
      await service.events.publish(event, copy === 0 ? event.id : `${event.id}:copy-${copy}`);
      storedMessages++;
    }
    expect([...copies.values()].some((count) => count > 1)).toBe(true);
    await drained();
  }, 60_000);

  afterAll(() => service?.close(), 30_000);

  it('reports healthy', async () => {
    const response = await request(service.url).get('/health');
    expect(response.status).toBe(200);
  });

  describe('REST', () => {
    it('answers a user’s overview, orders and timeline from their events', async () => {
      expect(await restAnswers(ann.userId)).toEqual(ann.expected);
    });

    it('ends in the same answers when deliveries were shuffled and duplicated', async () => {
      expect(await restAnswers(bob.userId)).toEqual(bob.expected);
    });

    it.each(['', '/orders', '/timeline'])('GET /users/:id%s needs the user’s own bearer token', async (suffix) => {
      const path = `/users/${ann.userId}${suffix}`;
      expect((await request(service.url).get(path)).status).toBe(401);
      expect((await request(service.url).get(path).set('Authorization', 'Bearer not.a.token')).status).toBe(401);
      const someoneElse = await request(service.url).get(path).set('Authorization', `Bearer ${service.tokenFor(bob.userId)}`);
      expect(someoneElse.status).toBe(403);
    });

    it.each(['', '/orders', '/timeline'])('GET /users/:id%s is 404 for a user the read model does not know', async (suffix) => {
      const stranger = randomUUID();
      const response = await get(`/users/${stranger}${suffix}`, stranger);
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ statusCode: 404, message: 'No such user in the read model' });
    });
  });

  describe('NATS request-reply (through ReadModelClient)', () => {
    it('answers what REST answers, to the user’s own token', async () => {
      expect(await client.userOverview(ann.userId, service.tokenFor(ann.userId))).toEqual(ann.expected.overview);
      expect(await client.userOrders(ann.userId, service.tokenFor(ann.userId))).toEqual(ann.expected.orders);
      expect(await client.userTimeline(bob.userId, service.tokenFor(bob.userId))).toEqual(bob.expected.timeline);
    });

    it('answers null for an unknown user', async () => {
      const stranger = randomUUID();
      expect(await client.userOverview(stranger, service.tokenFor(stranger))).toBeNull();
      expect(await client.userTimeline(stranger, service.tokenFor(stranger))).toBeNull();
    });

    it.each(['userOverview', 'userOrders', 'userTimeline'] as const)('%s needs a valid token (401) for the user’s own data (403), like REST', async (query) => {
      const failure = (token: string) => client.request(query, ann.userId, token).catch((error: unknown) => error);
      expect(await failure('not.a.token')).toMatchObject({ body: { statusCode: 401, message: 'A valid bearer token is required' } });
      expect(await failure(service.tokenFor(bob.userId))).toMatchObject({ body: { statusCode: 403, message: 'You may only read your own data' } });
    });

    it('gives nothing to a raw request without a token (as an attacker on the bus would send it)', async () => {
      const subject = querySubject(service.namespace, 'userOverview');
      const reply = await service.connection.request(subject, JSON.stringify({ id: randomUUID(), pattern: subject, data: { userId: ann.userId } }), {
        timeout: 5_000,
      });
      const packet = reply.json<{ response?: unknown; err?: { statusCode: number } }>();
      expect(packet.response).toBeUndefined();
      expect(packet.err).toMatchObject({ statusCode: 401 });
      expect(reply.string()).not.toContain(ann.expected.overview.email);
    });

    it('rejects a malformed request with a 400 naming the field', async () => {
      const failure = await client.userOrders('not-a-uuid', service.tokenFor(ann.userId)).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ReadModelQueryError);
      expect((failure as ReadModelQueryError).body).toMatchObject({ statusCode: 400, errors: [{ field: 'userId', message: 'must be a UUID' }] });
    });

    it('answers only in its own namespace', async () => {
      const elsewhere = new ReadModelClient(service.connection, { namespace: `${service.namespace}x`, timeoutMs: 5_000 });
      await expect(elsewhere.userOverview(ann.userId, service.tokenFor(ann.userId))).rejects.toMatchObject({ reason: 'no-responders' });
    });
  });

  describe('POST /admin/rebuild', () => {
    const rebuild = () => request(service.url).post('/admin/rebuild').set(ADMIN_TOKEN_HEADER, TEST_ADMIN_TOKEN);

    it('needs the admin token', async () => {
      expect((await request(service.url).post('/admin/rebuild')).status).toBe(401);
      expect((await request(service.url).post('/admin/rebuild').set(ADMIN_TOKEN_HEADER, `${TEST_ADMIN_TOKEN}x`)).status).toBe(401);
      // A user's valid JWT is no admin token.
      expect((await request(service.url).post('/admin/rebuild').set('Authorization', `Bearer ${service.tokenFor(ann.userId)}`)).status).toBe(401);
    });

    it('replaces the live tables with ones replayed from the stream, answering exactly as before', async () => {
      const before = { ann: await restAnswers(ann.userId), bob: await restAnswers(bob.userId) };
      // A row no event backs: a rebuild from the history must not carry it over.
      const intruder = randomUUID();
      await withDatabase((db) =>
        db.query(`INSERT INTO ${LIVE_SCHEMA}.users (user_id, email, name, signed_up_at) VALUES ($1, 'x@example.com', 'X', now())`, [intruder]),
      );
      expect((await get(`/users/${intruder}`, intruder)).status).toBe(200);

      const response = await rebuild();

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ eventsProjected: storedMessages, eventsSkipped: 0, lastSequence: storedMessages });
      expect({ ann: await restAnswers(ann.userId), bob: await restAnswers(bob.userId) }).toEqual(before);
      expect((await get(`/users/${intruder}`, intruder)).status).toBe(404);
    });

    it('is 409 while another rebuild holds the rebuild lock', async () => {
      await withDatabase(async (db) => {
        await db.query(`SELECT pg_advisory_lock(hashtextextended('read-model:rebuild', 0))`);
        const response = await rebuild();
        expect(response.status).toBe(409);
      });
    });

    it('keeps what the live consumer projected after the rebuild caught up and before it swapped', async () => {
      const dave = userHistory();
      const history = service.app.get<EventHistory>(EVENT_HISTORY);
      let reads = 0;
      // The rebuild reads the history twice without holding anyone up (all of it, then what came
      // meanwhile) before it swaps. Right after the second read, Dave's whole history arrives and
      // the live consumer projects it into the old generation: the window a swap must not lose.
      const trafficBeforeSwap: EventHistory = {
        lastSequence: () => history.lastSequence(),
        async *read(from, to, batchSize) {
          yield* history.read(from, to, batchSize);
          if (++reads !== 2) return;
          await service.events.publishAll(dave.events);
          await drained();
          expect(await client.userOverview(dave.userId, service.tokenFor(dave.userId))).toEqual(dave.expected.overview);
        },
      };
      const rebuild = new RebuildReadModelHandler(
        service.app.get(DataSource),
        service.app.get(ProjectionWriter),
        trafficBeforeSwap,
        service.app.get(ServiceLogger),
      );

      await rebuild.execute();

      expect(reads).toBeGreaterThanOrEqual(2);
      expect(await restAnswers(dave.userId)).toEqual(dave.expected);
    });

    it('loses no event that the live consumer projects while the rebuild runs and swaps', async () => {
      const carol = randomUUID();
      fixturePeople.set(carol, { email: 'carol@example.com', name: 'Carol' });
      const orders = 40;
      const signUp = envelope(
        UserSignedUpV1,
        { userId: carol, email: 'carol@example.com', name: 'Carol', newsletterOptIn: false, occurredAt: at(0) },
        { aggregateId: carol, occurredAt: at(0) },
      );
      const placements = Array.from({ length: orders }, (_, index) => {
        const orderId = randomUUID();
        return envelope(
          OrderPlacedV1,
          { orderId, userId: carol, items: [{ sku: 'MUG', quantity: 1, unitPriceCents: 100 }], totalCents: 100, placedAt: at(index + 1), orderVersion: 1 },
          { aggregateId: orderId, occurredAt: at(index + 1) },
        );
      });
      await service.events.publish(signUp);

      // Publish while the rebuild replays and swaps; the live consumer keeps projecting meanwhile.
      const rebuilding = rebuild();
      await service.events.publishAll(placements);
      expect((await rebuilding).status).toBe(200);
      await drained();

      expect(await client.userOverview(carol, service.tokenFor(carol))).toMatchObject({ orderCount: orders, totalSpentCents: orders * 100 });
      expect(await client.userTimeline(carol, service.tokenFor(carol))).toHaveLength(orders + 1);
      // And what was there before is untouched.
      expect(await restAnswers(ann.userId)).toEqual(ann.expected);
    });
  });

  async function withDatabase<T>(work: (db: pg.Client) => Promise<T>): Promise<T> {
    const db = new pg.Client({ connectionString: databaseUrl(service.config) });
    await db.connect();
    try {
      return await work(db);
    } finally {
      await db.end();
    }
  }
});
