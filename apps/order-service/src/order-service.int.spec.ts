import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JetStreamManager } from '@nats-io/jetstream';
import type request from 'supertest';
import type { DataSource } from 'typeorm';
import { UserSignedUpV1 } from '@eventshop/contracts';
import { type JetStreamPublisher, topologyFor } from '@eventshop/messaging';
import { eventsOnStream, eventually, outboxDrained, publishEvent, type StoredEvent } from '@eventshop/messaging/testing';
import { serviceTestConfig, startServiceUnderTest, testJwtKeys, testTokenSigner, type ServiceUnderTest } from '@eventshop/platform/testing';
import { loadOrderServiceConfig, manifest } from './config.js';
import { OrderServiceModule } from './order-service.module.js';
import type { OrderView } from './orders/domain/order.js';
import { idempotentOrderId } from './place-order/idempotent-order-id.js';

/**
 * order-service in-process against the real PostgreSQL and NATS JetStream, in a database and a NATS
 * namespace of its own. Sign-ups arrive the way user-service sends them: as `UserSignedUp` envelopes
 * on the namespace's events stream. Tokens are signed with a key pair made for this run.
 */

const keys = testJwtKeys();
const config = serviceTestConfig(loadOrderServiceConfig, { name: 'order_service_it', keys });
const topology = topologyFor(config.NATS_NAMESPACE);

const line = { sku: 'BOOK-1', quantity: 2, unitPriceCents: 1_250 };

let service: ServiceUnderTest<typeof config>;
let db: DataSource;
let jsm: JetStreamManager;
let publisher: JetStreamPublisher;
const http = () => service.http();

const tokenFor = testTokenSigner(keys, config);
const bearer = (userId: string) => ({ Authorization: `Bearer ${tokenFor(userId)}` });

/**
 * Failure bound for the effects waited for: they happen in the service's own time (a consumer, the
 * outbox relay). Not a delay.
 */
const PATIENCE_MS = 15_000;

/** Publishes a `UserSignedUp` exactly as user-service's outbox relay would, and waits until order-service has recorded it. */
async function signUp(userId: string): Promise<void> {
  const event = UserSignedUpV1.create(
    { userId, email: `${userId}@example.com`, name: 'Ann Example', newsletterOptIn: false, occurredAt: new Date().toISOString() },
    { correlationId: `sign-up-${userId}`, source: 'user-service', aggregateId: userId },
  );
  await publishEvent(publisher, topology, event);
  await eventually(
    async () => {
      const rows: unknown[] = await db.query(`SELECT 1 FROM customers WHERE user_id = $1`, [userId]);
      return rows.length > 0 ? true : undefined;
    },
    PATIENCE_MS,
    `customer ${userId} in order-service's replica`,
  );
}

async function placeOrder(userId: string, items: object[] = [line], correlationId?: string) {
  const response = await http()
    .post('/orders')
    .set(bearer(userId))
    .set(correlationId ? { 'X-Correlation-Id': correlationId } : {})
    .send({ items });
  expect(response.status).toBe(201);
  return response.body as OrderView;
}

/**
 * Runs `work` while an open transaction of the test holds `version` of the order's stream (an
 * uncommitted row nobody else can see), then rolls that row back. Writers of the same version block
 * until then.
 */
async function whileHoldingVersion<T>(orderId: string, version: number, work: () => Promise<T>): Promise<T> {
  const holder = db.createQueryRunner();
  await holder.connect();
  await holder.startTransaction();
  try {
    await holder.query(`INSERT INTO order_events (stream_id, version, type, data) VALUES ($1, $2, 'Placeholder', '{}')`, [orderId, version]);
    return await work();
  } finally {
    await holder.rollbackTransaction();
    await holder.release();
  }
}

/** Resolves once two sessions of the service's database wait for a lock (the racers, blocked by `whileHoldingVersion`). */
function twoWaitingForALock(what: string): Promise<true> {
  return eventually(
    async () => {
      const [{ waiting }] = await db.query(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      return waiting >= 2 ? true : undefined;
    },
    PATIENCE_MS,
    what,
  );
}

/** Waits until the outbox relay has published every committed event, then returns the order's events on the stream. */
async function eventsOnTheStreamFor(orderId: string): Promise<Array<StoredEvent<Record<string, unknown>>>> {
  await eventually(() => outboxDrained(db), PATIENCE_MS, 'the outbox to be drained');
  return (await eventsOnStream<Record<string, unknown>>(jsm, topology)).filter(({ envelope }) => envelope.aggregateId === orderId);
}

describe('order-service (in-process, real PostgreSQL + NATS JetStream)', () => {
  beforeAll(async () => {
    service = await startServiceUnderTest({ serviceName: manifest.name, config, module: OrderServiceModule.register });
    ({ dataSource: db, jsm, publisher } = service);
  }, 60_000);

  afterAll(() => service?.stop(), 60_000);

  it('answers /health, and 401 on every order route without a valid token', async () => {
    expect((await http().get('/health')).status).toBe(200);
    const someId = randomUUID();
    expect((await http().post('/orders').send({ items: [line] })).status).toBe(401);
    expect((await http().get('/orders')).status).toBe(401);
    expect((await http().get(`/orders/${someId}`)).status).toBe(401);
    expect((await http().post(`/orders/${someId}/cancel`).set({ Authorization: 'Bearer not.a.token' })).status).toBe(401);
  });

  it('503 with Retry-After for a caller whose sign-up has not arrived yet; 201 once it has', async () => {
    const userId = randomUUID();
    const early = await http().post('/orders').set(bearer(userId)).send({ items: [line] });
    expect(early.status).toBe(503);
    expect(early.headers['retry-after']).toBe('1');
    expect(early.body.message).toMatch(/not known to the order service yet/);
    const [{ stored }] = await db.query(`SELECT count(*)::int AS stored FROM order_events WHERE data->>'userId' = $1`, [userId]);
    expect(stored).toBe(0);

    await signUp(userId);
    const response = await http()
      .post('/orders')
      .set(bearer(userId))
      .send({ items: [line, { sku: 'PEN-7', quantity: 3, unitPriceCents: 199 }] });
    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual(['id', 'items', 'placedAt', 'status', 'totalCents', 'userId', 'version']);
    expect(response.body).toMatchObject({
      userId,
      status: 'placed',
      items: [line, { sku: 'PEN-7', quantity: 3, unitPriceCents: 199 }],
      totalCents: 2 * 1_250 + 3 * 199,
      version: 1,
    });
    expect(new Date(response.body.placedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
  }, 30_000);

  it('400 naming every bad field, unknown ones included, and for an id that is not a UUID', async () => {
    const userId = randomUUID();
    const fields = (response: request.Response) => response.body.errors.map((error: { field: string }) => error.field).sort();

    const empty = await http().post('/orders').set(bearer(userId)).send({ items: [] });
    expect(empty.status).toBe(400);
    expect(fields(empty)).toEqual(['items']);

    const bad = await http()
      .post('/orders')
      .set(bearer(userId))
      .send({ items: [{ sku: '', quantity: 0, unitPriceCents: 1, colour: 'red' }], coupon: 'FREE' });
    expect(bad.status).toBe(400);
    expect(fields(bad)).toEqual(['body', 'items.0', 'items.0.quantity', 'items.0.sku']);

    const notAnObject = await http().post('/orders').set(bearer(userId)).set('Content-Type', 'application/json').send('[1, 2]');
    expect(notAnObject.status).toBe(400);

    for (const response of [await http().get('/orders/not-a-uuid').set(bearer(userId)), await http().post('/orders/42/cancel').set(bearer(userId))]) {
      expect(response.status).toBe(400);
      expect(fields(response)).toEqual(['id']);
    }
    expect((await http().get('/orders?limit=0').set(bearer(userId))).status).toBe(400);
  });

  it('400, never a 500, for a NUL byte in a SKU, a query or a route parameter (PostgreSQL text cannot hold one)', async () => {
    const userId = randomUUID();
    await signUp(userId);
    const nulSku = await http().post('/orders').set(bearer(userId)).send({ items: [{ ...line, sku: 'BOOK\u00001' }] });
    expect(nulSku.status).toBe(400);
    expect(nulSku.body.errors).toEqual([{ field: 'items.0.sku', message: 'must not contain NUL characters' }]);
    expect((await http().get('/orders?limit=1%00').set(bearer(userId))).status).toBe(400);
    const nulId = await http().get(`/orders/${randomUUID()}%00`).set(bearer(userId));
    expect(nulId.status).toBe(400);
    expect(nulId.body.errors).toEqual([{ field: 'id', message: 'must not contain NUL characters' }]);
    expect((await placeOrder(userId)).items).toHaveLength(1);
  });

  it('shows an order to its owner only, and lists the caller’s own orders newest first', async () => {
    const ann = randomUUID();
    const bob = randomUUID();
    await signUp(ann);
    const first = await placeOrder(ann);
    const second = await placeOrder(ann, [{ sku: 'MUG-3', quantity: 1, unitPriceCents: 900 }]);

    const got = await http().get(`/orders/${first.id}`).set(bearer(ann));
    expect(got.status).toBe(200);
    expect(got.body).toEqual(first);

    const mine = await http().get('/orders').set(bearer(ann));
    expect(mine.status).toBe(200);
    expect(mine.body.map((order: { id: string }) => order.id)).toEqual([second.id, first.id]);
    expect((await http().get('/orders?limit=1').set(bearer(ann))).body.map((order: { id: string }) => order.id)).toEqual([second.id]);

    // Someone else's order is indistinguishable from one that does not exist.
    const foreign = await http().get(`/orders/${first.id}`).set(bearer(bob));
    const missing = await http().get(`/orders/${randomUUID()}`).set(bearer(bob));
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(missing.body);
    expect((await http().get('/orders').set(bearer(bob))).body).toEqual([]);
  }, 30_000);

  it('cancels for the owner only, refuses a second cancel, and publishes both events with their version and correlation id', async () => {
    const ann = randomUUID();
    const bob = randomUUID();
    await signUp(ann);
    const order = await placeOrder(ann, [line], 'it-place-1');

    expect((await http().post(`/orders/${order.id}/cancel`).set(bearer(bob))).status).toBe(404);
    expect((await http().post(`/orders/${randomUUID()}/cancel`).set(bearer(ann))).status).toBe(404);

    const cancelled = await http().post(`/orders/${order.id}/cancel`).set(bearer(ann)).set('X-Correlation-Id', 'it-cancel-1');
    expect(cancelled.status).toBe(200);
    expect(cancelled.headers['x-correlation-id']).toBe('it-cancel-1');
    expect(cancelled.body).toMatchObject({ ...order, status: 'cancelled', version: 2, cancelledAt: expect.any(String) });

    const again = await http().post(`/orders/${order.id}/cancel`).set(bearer(ann));
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/already cancelled/);
    expect((await http().get(`/orders/${order.id}`).set(bearer(ann))).body).toEqual(cancelled.body);

    // The event store: one stream, versions 1 and 2, each with the correlation id of its request.
    const stored = await db.query(`SELECT version, type, metadata FROM order_events WHERE stream_id = $1 ORDER BY version`, [order.id]);
    expect(stored).toEqual([
      { version: 1, type: 'OrderPlaced', metadata: { correlationId: 'it-place-1', causationId: null } },
      { version: 2, type: 'OrderCancelled', metadata: { correlationId: 'it-cancel-1', causationId: null } },
    ]);
    await expect(db.query(`UPDATE order_events SET type = type WHERE stream_id = $1`, [order.id])).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM order_events WHERE stream_id = $1`, [order.id])).rejects.toThrow(/append-only/);

    // The bus: exactly one integration event per stored event, in order, under the order's id.
    const published = await eventsOnTheStreamFor(order.id);
    expect(published.map(({ envelope }) => [envelope.type, envelope.data.orderVersion, envelope.correlationId])).toEqual([
      ['OrderPlaced', 1, 'it-place-1'],
      ['OrderCancelled', 2, 'it-cancel-1'],
    ]);
    expect(published.map(({ headers }) => headers['Correlation-Id'])).toEqual(['it-place-1', 'it-cancel-1']);
    const [orderPlaced, orderCancelled] = published;
    expect(orderPlaced?.envelope).toMatchObject({
      source: 'order-service',
      data: { orderId: order.id, userId: ann, items: [line], totalCents: 2_500, placedAt: order.placedAt },
    });
    expect(orderCancelled?.envelope.data).toEqual({
      orderId: order.id,
      userId: ann,
      totalCents: 2_500,
      cancelledAt: cancelled.body.cancelledAt,
      orderVersion: 2,
    });
  }, 30_000);

  it('two cancels racing for the same version: exactly one 200 and one 409, and one OrderCancelled', async () => {
    const ann = randomUUID();
    await signUp(ann);
    const order = await placeOrder(ann);

    // Forces the race instead of hoping for it: while a transaction of ours holds version 2 of the
    // stream, both requests read version 1, decide to cancel, and block inserting version 2. Once both
    // wait, the holder rolls back; then one of them commits and the other hits the (stream_id, version) key.
    const cancel = () => http().post(`/orders/${order.id}/cancel`).set(bearer(ann)).then((response) => response);
    const { racing } = await whileHoldingVersion(order.id, 2, async () => {
      const both = Promise.all([cancel(), cancel()]);
      await twoWaitingForALock('both cancels to wait for version 2');
      return { racing: both };
    });
    const responses = await racing;

    expect(responses.map((response) => response.status).sort()).toEqual([200, 409]);
    const loser = responses.find((response) => response.status === 409);
    expect(loser?.body.message).toMatch(/changed by another request/);
    expect((await http().get(`/orders/${order.id}`).set(bearer(ann))).body).toMatchObject({ status: 'cancelled', version: 2 });

    const versions = await db.query(`SELECT version, type FROM order_events WHERE stream_id = $1 ORDER BY version`, [order.id]);
    expect(versions).toEqual([
      { version: 1, type: 'OrderPlaced' },
      { version: 2, type: 'OrderCancelled' },
    ]);
    const published = await eventsOnTheStreamFor(order.id);
    expect(published.map(({ envelope }) => [envelope.type, envelope.data.orderVersion])).toEqual([
      ['OrderPlaced', 1],
      ['OrderCancelled', 2],
    ]);
  }, 30_000);

  describe('Idempotency-Key: a retried POST /orders places the order once', () => {
    const placeWithKey = (userId: string, key: string, items: object[] = [line]) =>
      http().post('/orders').set(bearer(userId)).set('Idempotency-Key', key).send({ items });

    it('the retry gets 201 with the order placed first, marked Idempotent-Replayed; one OrderPlaced', async () => {
      const ann = randomUUID();
      await signUp(ann);
      const key = randomUUID();
      const first = await placeWithKey(ann, key);
      const retry = await placeWithKey(ann, key);
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toEqual(first.body);
      expect((await http().get('/orders').set(bearer(ann))).body).toHaveLength(1);
      expect((await eventsOnTheStreamFor(first.body.id)).map(({ envelope }) => envelope.type)).toEqual(['OrderPlaced']);
    }, 30_000);

    it('two requests racing with the same key: both 201 with the same order, and one OrderPlaced', async () => {
      const ann = randomUUID();
      await signUp(ann);
      const key = randomUUID();
      // Forces the race as for cancels: while a transaction of ours holds version 1 of the key's
      // order stream, both requests block appending it; then one commits and the other finds it.
      const orderId = idempotentOrderId(ann, key);
      const { racing } = await whileHoldingVersion(orderId, 1, async () => {
        const both = Promise.all([placeWithKey(ann, key), placeWithKey(ann, key)]);
        await twoWaitingForALock('both requests to wait for version 1');
        return { racing: both };
      });
      const responses = await racing;
      expect(responses.map((response) => response.status)).toEqual([201, 201]);
      expect(responses.map((response) => response.body.id)).toEqual([orderId, orderId]);
      expect(responses.filter((response) => response.headers['idempotent-replayed'] === 'true')).toHaveLength(1);
      const versions = await db.query(`SELECT version, type FROM order_events WHERE stream_id = $1`, [orderId]);
      expect(versions).toEqual([{ version: 1, type: 'OrderPlaced' }]);
      expect((await eventsOnTheStreamFor(orderId)).map(({ envelope }) => envelope.type)).toEqual(['OrderPlaced']);
    }, 30_000);

    it('the same key with other lines: 422 and nothing written; from another customer it is another order', async () => {
      const ann = randomUUID();
      const bob = randomUUID();
      await signUp(ann);
      await signUp(bob);
      const key = randomUUID();
      const first = await placeWithKey(ann, key);
      const other = await placeWithKey(ann, key, [{ ...line, quantity: 3 }]);
      expect(other.status).toBe(422);
      expect(other.body).toEqual({
        statusCode: 422,
        error: 'Unprocessable Entity',
        message: `Idempotency-Key "${key}" was already used for a different order; use a new key for a new order`,
      });
      expect((await http().get('/orders').set(bearer(ann))).body.map((order: OrderView) => order.id)).toEqual([first.body.id]);
      const bobs = await placeWithKey(bob, key);
      expect(bobs.status).toBe(201);
      expect(bobs.body.id).not.toBe(first.body.id);
      expect(bobs.headers['idempotent-replayed']).toBeUndefined();
    }, 30_000);

    it('400 naming Idempotency-Key for an empty, spaced or overlong key, and nothing is placed', async () => {
      const ann = randomUUID();
      await signUp(ann);
      for (const [key, message] of [
        ['', 'must not be empty'],
        ['two words', 'must be printable ASCII without spaces'],
        ['k'.repeat(256), 'must be at most 255 characters'],
      ]) {
        const response = await placeWithKey(ann, key as string);
        expect(response.status).toBe(400);
        expect(response.body.errors).toEqual([{ field: 'Idempotency-Key', message }]);
      }
      expect((await http().get('/orders').set(bearer(ann))).body).toEqual([]);
    }, 30_000);
  });
});
