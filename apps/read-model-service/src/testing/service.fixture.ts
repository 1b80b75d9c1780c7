// Integration-test fixtures: the real service in-process on its own database and NATS namespace, a
// publisher that puts envelopes on the namespaced stream as the outbox relay would, and clean-up.
// For tests only.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { DataSource } from 'typeorm';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { contractFor } from '@eventshop/contracts';
import {
  consumerGroupName,
  CreateMessagingTables1732300000000,
  encodeJson,
  ensureStreams,
  Headers,
  JetStreamPublisher,
  namespacedSubject,
  topologyFor,
  type Topology,
} from '@eventshop/messaging';
import { databaseUrl, dropDatabase, ensureDatabase, JsonLogger, startService } from '@eventshop/platform';
import { loadReadModelServiceConfig, manifest, type ReadModelServiceConfig } from '../config.js';
import { ReadModelServiceModule } from '../read-model-service.module.js';
import { CreateReadModel1732300000500 } from '../read-model/infrastructure/migrations/1732300000500-create-read-model.js';
import { PROJECT_READ_MODEL } from '../project-events/project-events.handler.js';
import type { ProjectableEvent } from '../read-model/domain/projected-event.js';

export const TEST_POSTGRES_URL = process.env['POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432';
export const TEST_NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123';

/** A unique name, valid for a database and a NATS namespace alike. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

/**
 * Polls `probe` until it returns something other than undefined. For effects of another component
 * (the consumer projecting a published event); the timeout is a failure bound, not a wait.
 */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Puts envelopes on a namespace's events stream, exactly as the outbox relay does. */
export class EventPublisher {
  private readonly publisher: JetStreamPublisher;

  constructor(
    connection: NatsConnection,
    private readonly topology: Topology,
  ) {
    this.publisher = new JetStreamPublisher(jetstream(connection));
  }

  /**
   * `messageId` defaults to the event id (the broker drops a repeat inside its dedup window); give
   * another one to store the same event twice, as a republish after the window would.
   */
  async publish(event: ProjectableEvent, messageId: string = event.id): Promise<void> {
    const contract = contractFor(event.type, event.version);
    if (!contract) throw new Error(`no contract for ${event.type} v${event.version}`);
    await this.publisher.publish({
      id: messageId,
      subject: namespacedSubject(this.topology, contract.subject),
      payload: encodeJson(event),
      headers: {
        [Headers.CorrelationId]: event.correlationId,
        [Headers.EventType]: event.type,
        [Headers.EventVersion]: String(event.version),
        [Headers.AggregateId]: event.aggregateId,
        [Headers.Source]: event.source,
        [Headers.ContentType]: 'application/json',
      },
    });
  }

  async publishAll(events: readonly ProjectableEvent[]): Promise<void> {
    for (const event of events) await this.publish(event);
  }
}

export interface RunningReadModel {
  readonly app: INestApplication;
  readonly url: string;
  readonly config: ReadModelServiceConfig;
  readonly namespace: string;
  /** A connection of the test's own, e.g. for a ReadModelClient. */
  readonly connection: NatsConnection;
  readonly events: EventPublisher;
  /** A valid access token for `userId`, as user-service would issue it. */
  tokenFor(userId: string): string;
  /** True once the projection consumer has nothing left to deliver and nothing unacknowledged. */
  consumerDrained(): Promise<boolean>;
  /** Stops the service and removes its database and streams. */
  close(): Promise<void>;
}

/** Starts read-model-service in-process on a free port, a fresh database and a fresh namespace. */
export async function startReadModelService(): Promise<RunningReadModel> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const namespace = uniqueName('rm');
  const config = loadReadModelServiceConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
    POSTGRES_URL: TEST_POSTGRES_URL,
    DATABASE_NAME: uniqueName('read_model_test'),
    NATS_URL: TEST_NATS_URL,
    NATS_NAMESPACE: namespace,
    JWT_PUBLIC_KEY: publicKey,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
  });
  const topology = topologyFor(namespace);
  const connection = await connect({ servers: TEST_NATS_URL });
  const jsm = await jetstreamManager(connection);
  await ensureStreams(jsm, topology);
  let app: INestApplication | undefined;
  const close = async () => {
    await app?.close();
    await deleteStreams(jsm, topology);
    await connection.drain();
    await dropDatabase(config.POSTGRES_URL, config.DATABASE_NAME);
  };
  try {
    const logger = new JsonLogger(manifest.name, config.LOG_LEVEL);
    app = await startService({
      module: ReadModelServiceModule.register(config, logger),
      config,
      logger,
      consumesEvents: true,
      requestReply: { serviceName: manifest.name },
    });
  } catch (error) {
    await close();
    throw error;
  }
  const group = consumerGroupName(manifest.name, PROJECT_READ_MODEL);
  return {
    app,
    url: `http://${config.HOST}:${config.PORT}`,
    config,
    namespace,
    connection,
    events: new EventPublisher(connection, topology),
    tokenFor: (userId) =>
      jwt.sign({ email: `${userId}@example.com` }, privateKey, {
        algorithm: 'RS256',
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        subject: userId,
        expiresIn: 600,
      }),
    async consumerDrained() {
      const info = await jsm.consumers.info(topology.eventsStream, group);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    close,
  };
}

/** A fresh database with the service's migrations applied, without the rest of the service. */
export async function createReadModelDatabase(): Promise<{ dataSource: DataSource; drop(): Promise<void> }> {
  const database = uniqueName('read_model_test');
  await ensureDatabase(TEST_POSTGRES_URL, database);
  const dataSource = new DataSource({
    type: 'postgres',
    url: databaseUrl({ POSTGRES_URL: TEST_POSTGRES_URL, DATABASE_NAME: database }),
    migrations: [CreateMessagingTables1732300000000, CreateReadModel1732300000500],
    migrationsRun: true,
    extra: { max: 5 },
  });
  await dataSource.initialize();
  return {
    dataSource,
    async drop() {
      await dataSource.destroy();
      await dropDatabase(TEST_POSTGRES_URL, database);
    },
  };
}

async function deleteStreams(jsm: JetStreamManager, topology: Topology): Promise<void> {
  for (const stream of [topology.eventsStream, topology.deadLetterStream]) {
    await jsm.streams.delete(stream).catch(() => undefined);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}
