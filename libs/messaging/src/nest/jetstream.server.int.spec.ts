// The Nest transport against a real NATS server and PostgreSQL: one Nest app, the real
// MessagingModule and JetStreamServer, in a namespace and a database of its own.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Global, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { DataSource } from 'typeorm';
import { UserSignedUpV1 } from '@eventshop/contracts';
import { DeadLetterAdmin } from '../dead-letter/dead-letter-admin.js';
import { JetStreamPublisher } from '../jetstream/jetstream-publisher.js';
import { deleteStreams, topologyFor } from '../jetstream/topology.js';
import { createTestDatabase, TEST_NATS_URL, uniqueName } from '../testing/test-infrastructure.js';
import { eventually, publishEvent } from '../testing/publish-event.js';
import { connectJetStreamTransport, JetStreamServer } from './jetstream.server.js';
import { MessagingModule } from './messaging.module.js';
import { MessagingRuntime } from './messaging-runtime.js';
import { OnEvent } from './on-event.decorator.js';

const SERVICE = 'two-handlers';
const namespace = uniqueName('nestsrv');
const topology = topologyFor(namespace);
const MAX_ATTEMPTS = 3;

/** Every call of each handler, by event id: the counts must be exact. */
const calls = { records: [] as string[], alwaysFails: [] as string[] };

/**
 * Two handlers of the same event in one app, as email-service's `record-recipient` and
 * `send-welcome-email`: each is its own consumer group and must run alone in it.
 */
@Controller()
class TwoHandlersOfOneEventController {
  @OnEvent(UserSignedUpV1, { handler: 'records' })
  async record(@Payload() event: UserSignedUpV1): Promise<void> {
    calls.records.push(event.id);
  }

  @OnEvent(UserSignedUpV1, { handler: 'always-fails', retry: { maxAttempts: MAX_ATTEMPTS, initialIntervalMs: 50 } })
  async fail(@Payload() event: UserSignedUpV1): Promise<void> {
    calls.alwaysFails.push(event.id);
    throw new Error('the outside world is down');
  }
}

let db: Awaited<ReturnType<typeof createTestDatabase>>;

/** The DataSource the MessagingModule needs (its outbox lives in the service's database). */
@Global()
@Module({ providers: [{ provide: DataSource, useFactory: () => db.dataSource }], exports: [DataSource] })
class TestDatabaseModule {}

describe('JetStreamServer (Nest transport, real NATS)', () => {
  let app: INestApplication;
  let nats: NatsConnection;
  let jsm: JetStreamManager;
  let publisher: JetStreamPublisher;
  let deadLetters: DeadLetterAdmin;

  beforeAll(async () => {
    db = await createTestDatabase();
    @Module({
      imports: [
        TestDatabaseModule,
        MessagingModule.forRoot({ serviceName: SERVICE, natsUrl: TEST_NATS_URL, namespace, outbox: { enabled: false } }),
      ],
      controllers: [TwoHandlersOfOneEventController],
    })
    class TestAppModule {}
    app = await NestFactory.create(TestAppModule, { logger: false, abortOnError: false });
    expect(connectJetStreamTransport(app)).toBe(true);
    await app.startAllMicroservices();
    await app.init();
    // The test's own connection: it publishes and inspects, and outlives the app for the clean-up.
    nats = await connect({ servers: TEST_NATS_URL });
    jsm = await jetstreamManager(nats);
    publisher = new JetStreamPublisher(nats);
    deadLetters = new DeadLetterAdmin(jsm, nats, topology);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    if (nats) {
      await deleteStreams(jsm, topology);
      await nats.drain();
    }
    await db?.drop();
  }, 60_000);

  it('runs exactly its own handler in each consumer group: a failing handler does not drag the other down', async () => {
    const userId = randomUUID();
    const event = UserSignedUpV1.create(
      { userId, email: 'ada@example.com', name: 'Ada', newsletterOptIn: false, occurredAt: new Date().toISOString() },
      { correlationId: randomUUID(), source: 'user-service', aggregateId: userId },
    );
    await publishEvent(publisher, topology, event);

    // The failing group gives up after its attempts and parks the event…
    const parked = await eventually(
      async () => {
        const { deadLetters: found } = await deadLetters.list().catch(() => ({ deadLetters: [] }));
        return found.length > 0 ? found : undefined;
      },
      20_000,
      'the dead letter of always-fails',
    );
    // …while the other group has handled and acked its copy.
    await eventually(
      async () => {
        const info = await jsm.consumers.info(topology.eventsStream, `${SERVICE}__records`);
        return info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.stream_seq > 0 ? true : undefined;
      },
      20_000,
      'records to ack the event',
    );

    expect(calls.records).toEqual([event.id]);
    expect(calls.alwaysFails).toEqual(Array.from({ length: MAX_ATTEMPTS }, () => event.id));
    expect(parked.map((letter) => ({ consumer: letter.consumer, handler: letter.handler }))).toEqual([
      { consumer: `${SERVICE}__always-fails`, handler: 'always-fails' },
    ]);
    const records = await jsm.consumers.info(topology.eventsStream, `${SERVICE}__records`);
    expect(records.num_redelivered).toBe(0);
  }, 40_000);

  it('refuses to start when two handlers share a name, as they would share one consumer group', async () => {
    @Controller()
    class SameNameTwiceController {
      @OnEvent(UserSignedUpV1, { handler: 'twice' })
      async first(): Promise<void> {}

      @OnEvent(UserSignedUpV1, { handler: 'twice' })
      async second(): Promise<void> {}
    }
    @Module({
      imports: [
        TestDatabaseModule,
        MessagingModule.forRoot({ serviceName: 'same-name', natsUrl: TEST_NATS_URL, namespace, outbox: { enabled: false } }),
      ],
      controllers: [SameNameTwiceController],
    })
    class SameNameModule {}
    const clash = await NestFactory.create(SameNameModule, { logger: false, abortOnError: false });
    try {
      clash.connectMicroservice({ strategy: new JetStreamServer(clash.get(MessagingRuntime)) });
      await expect(clash.startAllMicroservices()).rejects.toThrow(/two handlers are named "twice"/);
    } finally {
      await clash.close();
    }
  }, 30_000);

  it('connects no transport to an app without @OnEvent handlers: consuming follows from declaring handlers', async () => {
    @Controller()
    class HttpOnlyController {}
    @Module({ controllers: [HttpOnlyController] })
    class HttpOnlyModule {}
    const httpOnly = await NestFactory.create(HttpOnlyModule, { logger: false, abortOnError: false });
    try {
      expect(connectJetStreamTransport(httpOnly)).toBe(false);
      expect(httpOnly.getMicroservices()).toHaveLength(0);
    } finally {
      await httpOnly.close();
    }
  });
});
