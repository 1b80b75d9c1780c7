import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventBus } from '../outbox/event-bus.js';
import { listenConnectionFrom, OutboxRelay } from '../outbox/outbox-relay.js';
import { Inbox } from '../inbox/inbox.js';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging-options.js';
import { MessagingRuntime } from './messaging-runtime.js';
import { registerOutboxRelayMetrics } from '../outbox/outbox-relay.metrics.js';

/** Runs the outbox relay for the lifetime of the application. */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly relay: OutboxRelay;

  constructor(
    dataSource: DataSource,
    private readonly runtime: MessagingRuntime,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
  ) {
    this.relay = new OutboxRelay(dataSource, { publish: (message) => runtime.publisher.publish(message) }, {
      batchSize: options.outbox?.batchSize,
      pollIntervalMs: options.outbox?.pollIntervalMs,
      logger: runtime.logger,
      listen: listenConnectionFrom(dataSource),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.outbox?.enabled === false) return;
    if (this.options.metricsRegistry) {
      registerOutboxRelayMetrics(this.options.metricsRegistry, {
        pendingRows: () => this.relay.pendingRows(),
        lagSeconds: () => this.relay.lagSeconds(),
        publishedTotal: () => this.relay.published,
      });
    }
    await this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}

/**
 * Wires the bus into a service: the NATS connection and streams, the outbox-backed `EventBus`, the
 * relay, and the `Inbox` the handlers' `context.once` runs on. Needs a TypeORM `DataSource` in the
 * app (the outbox and inbox live in the service's database) whose migrations include
 * `messagingMigrations` (the platform's DatabaseModule adds them).
 */
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [
        { provide: MESSAGING_OPTIONS, useValue: options },
        MessagingRuntime,
        {
          provide: EventBus,
          inject: [MessagingRuntime],
          useFactory: (runtime: MessagingRuntime) => new EventBus(options.serviceName, runtime.topology),
        },
        OutboxRelayService,
        { provide: Inbox, inject: [DataSource], useFactory: (dataSource: DataSource) => new Inbox(dataSource) },
      ],
      exports: [MessagingRuntime, EventBus, OutboxRelayService, Inbox],
    };
  }

  /**
   * Only the connection to the bus (`MessagingRuntime`: NATS, JetStream, the streams), for an app
   * that owns no database and so has no outbox, inbox or handlers: the console, which only watches.
   * With `credentials` it connects as that NATS user (replies under its own inbox prefix) and only
   * checks that the streams exist, as a service does.
   */
  static brokerOnly(options: Pick<MessagingOptions, 'serviceName' | 'natsUrl' | 'credentials' | 'namespace' | 'logger'>): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [{ provide: MESSAGING_OPTIONS, useValue: options }, MessagingRuntime],
      exports: [MessagingRuntime],
    };
  }
}
