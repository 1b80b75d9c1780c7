import { type DynamicModule, Module } from '@nestjs/common';
import { MessagingModule } from '@eventshop/messaging';
import { AdminCredentials, createServiceRegistry, HealthModule, ServiceLogger, METRICS_REGISTRY, MetricsController, natsCredentials } from '@eventshop/platform';
import { CONSOLE_CONFIG, type ConsoleConfig, manifest } from './config.js';
import { EventFeed } from './events/event-feed.js';
import { EventStreamController } from './events/event-stream.controller.js';
import { ConsumerGroups } from './consumer-groups/consumer-groups.js';
import { OutboxGauges } from './outbox/outbox-gauges.js';
import { DeadLetters } from './dead-letters/dead-letters.js';
import { DeadLettersController } from './dead-letters/dead-letters.controller.js';
import { CaughtMails } from './mail/caught-mails.js';
import { ServiceProxyController } from './try-it/service-proxy.controller.js';
import { ConsolePageController } from './page/console-page.controller.js';
import { SnapshotController } from './page/snapshot.controller.js';

/**
 * The composition root of the console. It owns no database: it stands on the bus connection alone
 * (MessagingModule.brokerOnly), reads the services only through their public HTTP endpoints, and
 * serves one page.
 */
@Module({})
export class ConsoleModule {
  static register(config: ConsoleConfig, logger: ServiceLogger): DynamicModule {
    return {
      module: ConsoleModule,
      imports: [
        MessagingModule.brokerOnly({
          serviceName: manifest.name,
          natsUrl: config.NATS_URL,
          // Its own NATS user (NATS_USER=console): see "watches" and "repairsDeadLetters" in apps/console/package.json.
          credentials: natsCredentials(config),
          namespace: config.NATS_NAMESPACE,
          logger,
        }),
        // No database: ready when NATS answers.
        HealthModule.forRoot({ database: false }),
      ],
      controllers: [
        MetricsController,
        ConsolePageController,
        SnapshotController,
        EventStreamController,
        DeadLettersController,
        ServiceProxyController,
      ],
      providers: [
        { provide: CONSOLE_CONFIG, useValue: config },
        { provide: ServiceLogger, useValue: logger },
        { provide: METRICS_REGISTRY, useValue: createServiceRegistry(manifest.name) },
        { provide: AdminCredentials, useValue: new AdminCredentials(config.ADMIN_TOKEN) },
        EventFeed,
        ConsumerGroups,
        OutboxGauges,
        DeadLetters,
        CaughtMails,
      ],
    };
  }
}
