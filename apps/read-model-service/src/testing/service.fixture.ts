// Integration-test fixtures: the real service in-process on its own database and NATS namespace, a
// publisher that puts envelopes on the namespaced stream as the outbox relay would, and clean-up.
// The generic helpers (eventually, uniqueName, the test URLs) come from '@eventshop/messaging/testing'.
// For tests only.
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { consumerGroupName, deleteStreams, ensureStreams, JetStreamPublisher, topologyFor, type Topology } from '@eventshop/messaging';
import { createTestDatabase, publishEvent, TEST_NATS_URL, TEST_POSTGRES_URL, uniqueName } from '@eventshop/messaging/testing';
import { dropDatabase, JsonLogger, startService } from '@eventshop/platform';
import { loadReadModelServiceConfig, manifest, type ReadModelServiceConfig } from '../config.js';
import { ReadModelServiceModule } from '../read-model-service.module.js';
import { CreateReadModel1732300000500 } from '../read-model/infrastructure/migrations/1732300000500-create-read-model.js';
import { PROJECT_READ_MODEL } from '../project-events/project-events.handler.js';
import type { ProjectableEvent } from '../read-model/domain/projected-event.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123';

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
  publish(event: ProjectableEvent, messageId: string = event.id): Promise<void> {
    return publishEvent(this.publisher, this.topology, event, { messageId });
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

/** Starts read-model-service in-process on a port the OS picks, a fresh database and a fresh namespace. */
export async function startReadModelService(): Promise<RunningReadModel> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const namespace = uniqueName('rm');
  const config: ReadModelServiceConfig = {
    ...loadReadModelServiceConfig({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      POSTGRES_URL: TEST_POSTGRES_URL,
      DATABASE_NAME: uniqueName('read_model_test'),
      NATS_URL: TEST_NATS_URL,
      NATS_NAMESPACE: namespace,
      JWT_PUBLIC_KEY: publicKey,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    }),
    // Port 0: the OS picks a free one (no race between finding a port and listening on it). The
    // schema rightly refuses 0 for a real deployment.
    PORT: 0,
  };
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
      requestReply: { serviceName: manifest.name },
    });
  } catch (error) {
    await close();
    throw error;
  }
  const group = consumerGroupName(manifest.name, PROJECT_READ_MODEL);
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    url: `http://${config.HOST}:${port}`,
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
export function createReadModelDatabase(): ReturnType<typeof createTestDatabase> {
  return createTestDatabase({ migrations: [CreateReadModel1732300000500] });
}
