// Integration-test fixtures: the real service in-process on its own database and NATS namespace, a
// publisher that puts envelopes on the namespaced stream as the outbox relay would, and clean-up.
// The generic helpers come from '@eventshop/messaging/testing' (eventually, uniqueName, the test URLs)
// and '@eventshop/platform/testing' (a service in-process, its config, test tokens). For tests only.
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { consumerGroupName, type JetStreamPublisher, type Topology } from '@eventshop/messaging';
import { answerPersonalData, createTestDatabase, publishEvent } from '@eventshop/messaging/testing';
import { fixturePeople } from './history.fixture.js';
import { serviceTestConfig, startServiceUnderTest, testJwtKeys, testTokenSigner } from '@eventshop/platform/testing';
import { loadReadModelServiceConfig, manifest, type ReadModelServiceConfig } from '../config.js';
import { ReadModelServiceModule } from '../read-model-service.module.js';
import { CreateReadModel1732300000500 } from '../read-model/infrastructure/migrations/1732300000500-create-read-model.js';
import { PROJECT_READ_MODEL } from '../project-events/project-events.handler.js';
import type { ProjectableEvent } from '../read-model/domain/projected-event.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123';

/** Puts envelopes on a namespace's events stream, exactly as the outbox relay does. */
export class EventPublisher {
  constructor(
    private readonly publisher: JetStreamPublisher,
    private readonly topology: Topology,
  ) {}

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
  const keys = testJwtKeys();
  const config = serviceTestConfig(loadReadModelServiceConfig, {
    name: 'read_model',
    keys,
    env: { LOG_LEVEL: 'warn', ADMIN_TOKEN: TEST_ADMIN_TOKEN },
  });
  const service = await startServiceUnderTest({ serviceName: manifest.name, config, module: ReadModelServiceModule.register, requestReply: true });
  // user-service's part: the personal data of the fixtures' users, over NATS as user-service answers it.
  const stopAnswering = answerPersonalData(service.nats, config.NATS_NAMESPACE, fixturePeople);
  const group = consumerGroupName(manifest.name, PROJECT_READ_MODEL);
  const { port } = service.app.getHttpServer().address() as AddressInfo;
  return {
    app: service.app,
    url: `http://${config.HOST}:${port}`,
    config,
    namespace: config.NATS_NAMESPACE,
    connection: service.nats,
    events: new EventPublisher(service.publisher, service.topology),
    tokenFor: testTokenSigner(keys, config, { expiresInSeconds: 600 }),
    async consumerDrained() {
      const info = await service.jsm.consumers.info(service.topology.eventsStream, group);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    async close() {
      stopAnswering();
      await service.stop();
    },
  };
}

/** A fresh database with the service's migrations applied, without the rest of the service. */
export function createReadModelDatabase(): ReturnType<typeof createTestDatabase> {
  return createTestDatabase({ migrations: [CreateReadModel1732300000500] });
}
