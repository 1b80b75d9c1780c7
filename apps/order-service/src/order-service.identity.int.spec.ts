import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { OrderPlacedV1, UserSignedUpV1 } from '@eventshop/contracts';
import { busIdentitiesIn, ensureStreams, JetStreamPublisher, StreamsNotProvisionedError, topologyFor } from '@eventshop/messaging';
import { ADMIN, eventually, publishEvent, startSecuredNats, TEST_POSTGRES_URL, uniqueName, type SecuredNats } from '@eventshop/messaging/testing';
import { databaseUrl, dropDatabase, ServiceLogger, startService } from '@eventshop/platform';
import { serviceTestConfig, testJwtKeys, testTokenSigner } from '@eventshop/platform/testing';
import { loadOrderServiceConfig, manifest } from './config.js';
import { OrderServiceModule } from './order-service.module.js';

/**
 * order-service running as its own NATS user against a nats-server of this test's own that enforces
 * the generated permissions (the same nats/auth.conf compose and k8s use, for this namespace): the
 * admin provisions the streams, user-service's identity publishes a sign-up, and order-service
 * consumes it, publishes its own OrderPlaced through the outbox — all within its permissions.
 */
const identities = busIdentitiesIn(fileURLToPath(new URL('../../', import.meta.url)));
const namespace = uniqueName('orderid');
const topology = topologyFor(namespace);
const keys = testJwtKeys();
const PATIENCE_MS = 15_000;

describe('order-service with its own NATS identity (real nats-server with the generated authorization)', () => {
  let nats: SecuredNats;
  let admin: NatsConnection;
  let users: NatsConnection;
  let app: INestApplication | undefined;
  let db: DataSource | undefined;
  const database = uniqueName('order_service_id');

  // The shared test config, on this test's nats-server as order-service's own user.
  const configFor = () =>
    serviceTestConfig(loadOrderServiceConfig, {
      name: 'order_service_id',
      keys,
      env: {
        NATS_URL: nats.url,
        NATS_NAMESPACE: namespace,
        DATABASE_NAME: database,
        NATS_USER: 'order-service',
        NATS_PASSWORD: nats.credentials('order-service').password,
      },
    });
  const start = async () => {
    const config = configFor();
    const logger = new ServiceLogger(manifest.name, { level: config.LOG_LEVEL, format: config.LOG_FORMAT });
    return startService({ module: OrderServiceModule.register(config, logger), config, logger });
  };

  beforeAll(async () => {
    nats = await startSecuredNats(identities, namespace);
    admin = await nats.connect(ADMIN);
    users = await nats.connect('user-service');
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await db?.destroy();
    await users?.close();
    await admin?.close();
    await nats?.stop();
    await dropDatabase(TEST_POSTGRES_URL, database);
  }, 30_000);

  it('does not start before the admin provisioned the streams (it may not create them), and says so', async () => {
    await expect(start()).rejects.toBeInstanceOf(StreamsNotProvisionedError);
  });

  it('consumes a sign-up published by user-service and publishes its own OrderPlaced, once provisioned', async () => {
    await ensureStreams(await jetstreamManager(admin), topology);
    app = await start();
    db = new DataSource({ type: 'postgres', url: databaseUrl({ POSTGRES_URL: TEST_POSTGRES_URL, DATABASE_NAME: database }) });
    await db.initialize();

    const userId = randomUUID();
    const signUp = UserSignedUpV1.create(
      { userId, email: `${userId}@example.com`, name: 'Ann Example', newsletterOptIn: false, occurredAt: new Date().toISOString() },
      { correlationId: randomUUID(), source: 'user-service', aggregateId: userId },
    );
    await publishEvent(new JetStreamPublisher(users), topology, signUp);
    await eventually(
      async () => ((await db!.query(`SELECT 1 FROM customers WHERE user_id = $1`, [userId])).length > 0 ? true : undefined),
      PATIENCE_MS,
      'the customer recorded from the sign-up',
    );

    const token = testTokenSigner(keys, configFor())(userId);
    const response = await request(app.getHttpServer())
      .post('/orders')
      .set('Authorization', `Bearer ${token}`)
      .send({ items: [{ sku: 'BOOK-1', quantity: 1, unitPriceCents: 500 }] });
    expect(response.status).toBe(201);
    const orderId = (response.body as { id: string }).id;
    expect(orderId).toEqual(expect.any(String));

    const jsm = await jetstreamManager(admin);
    const placed = await eventually(
      async () => {
        const stored = await jsm.streams.getMessage(topology.eventsStream, { last_by_subj: `${namespace}.${OrderPlacedV1.subject}` }).catch(() => null);
        return stored && stored.json<{ aggregateId: string }>().aggregateId === orderId ? stored : undefined;
      },
      PATIENCE_MS,
      'OrderPlaced on the stream, published by order-service’s relay',
    );
    expect(placed.json<{ source: string }>().source).toBe('order-service');
    // Its consumer group acked the sign-up: nothing pending, nothing dead-lettered.
    const group = await jsm.consumers.info(topology.eventsStream, 'order-service__record-customer');
    expect(group.num_ack_pending + group.num_pending).toBe(0);
    expect((await jsm.streams.info(topology.deadLetterStream)).state.messages).toBe(0);
  }, 60_000);
});
