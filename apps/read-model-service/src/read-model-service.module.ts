import { type DynamicModule, Module } from '@nestjs/common';
import { MessagingRuntime, PersonalDataClient } from '@eventshop/messaging';
import { PERSONAL_DATA } from './read-model/domain/personal-data.port.js';
import { AdminCredentials, ApiDocsModule, type ServiceLogger, ServicePlatformModule } from '@eventshop/platform';
import { readModelServiceApi } from './read-model-service.api.js';
import { manifest, type ReadModelServiceConfig } from './config.js';
import { EVENT_HISTORY } from './read-model/domain/event-history.port.js';
import { JetStreamEventHistory } from './read-model/infrastructure/jetstream-event-history.js';
import { ProjectionWriter } from './read-model/infrastructure/projection-writer.js';
import { ReadModelRepository } from './read-model/infrastructure/read-model.repository.js';
import { CreateReadModel1732300000500 } from './read-model/infrastructure/migrations/1732300000500-create-read-model.js';
import { CreateForgottenUsers1764800000300 } from './read-model/infrastructure/migrations/1764800000300-create-forgotten-users.js';
import { ProjectEventsHandler } from './project-events/project-events.handler.js';
import { ProjectEventsEventController } from './project-events/project-events.event.controller.js';
import { GetUserOverviewHttpController } from './get-user-overview/get-user-overview.http.controller.js';
import { ListUserOrdersHttpController } from './list-user-orders/list-user-orders.http.controller.js';
import { GetUserTimelineHttpController } from './get-user-timeline/get-user-timeline.http.controller.js';
import { readModelRpcController } from './request-reply/read-model.rpc.controller.js';
import { RebuildReadModelHandler } from './rebuild/rebuild.handler.js';
import { RebuildHttpController } from './rebuild/rebuild.http.controller.js';

/** The composition root of read-model-service. */
@Module({})
export class ReadModelServiceModule {
  static register(config: ReadModelServiceConfig, logger: ServiceLogger): DynamicModule {
    return {
      module: ReadModelServiceModule,
      imports: [
        ServicePlatformModule.forRoot({
          serviceName: manifest.name,
          config,
          logger,
          // The projections are written with plain SQL (guarded upserts into a swappable schema).
          entities: [],
          migrations: [CreateReadModel1732300000500, CreateForgottenUsers1764800000300],
        }),
        ApiDocsModule.forRoot(readModelServiceApi),
      ],
      controllers: [
        ProjectEventsEventController,
        GetUserOverviewHttpController,
        ListUserOrdersHttpController,
        GetUserTimelineHttpController,
        readModelRpcController(config.NATS_NAMESPACE),
        RebuildHttpController,
      ],
      providers: [
        ProjectionWriter,
        ProjectEventsHandler,
        ReadModelRepository,
        RebuildReadModelHandler,
        {
          provide: PERSONAL_DATA,
          inject: [MessagingRuntime],
          useFactory: (runtime: MessagingRuntime) => new PersonalDataClient(() => runtime.connection, config.NATS_NAMESPACE),
        },
        { provide: EVENT_HISTORY, inject: [MessagingRuntime], useFactory: (runtime: MessagingRuntime) => new JetStreamEventHistory(runtime) },
        { provide: AdminCredentials, useValue: new AdminCredentials(config.ADMIN_TOKEN) },
      ],
    };
  }
}
