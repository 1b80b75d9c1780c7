import { type DynamicModule, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { MessagingModule } from '@eventshop/messaging';
import { type BaseConfig, natsCredentials } from '../config/config.js';
import { DatabaseModule, type DatabaseModuleOptions } from '../database/database.module.js';
import { HealthModule } from '../health/health.module.js';
import { ServiceLogger } from '../logging/service-logger.js';
import { JwtVerifier } from '../auth/jwt-verifier.js';
import { JwtAuthGuard } from '../auth/jwt-auth.guard.js';
import { loadKey } from '../auth/jwt-keys.js';
import { METRICS_REGISTRY, MetricsController } from '../metrics/metrics.controller.js';
import { createServiceRegistry } from '../metrics/service-metrics.js';
import { flushTraces } from '../tracing/trace-export.js';

/** Sends the spans still batched when the service stops (a no-op when no tracing SDK runs). */
@Injectable()
class FlushTracesOnShutdown implements OnApplicationShutdown {
  onApplicationShutdown(): Promise<void> {
    return flushTraces();
  }
}

export interface ServicePlatformOptions extends DatabaseModuleOptions {
  readonly serviceName: string;
  readonly config: BaseConfig;
  readonly logger: ServiceLogger;
}

/**
 * Everything a service stands on, in one import: its database (created and migrated), the event
 * bus (outbox, relay, NATS), `/health`, `/metrics`, the logger, and local JWT verification.
 */
@Module({})
export class ServicePlatformModule {
  static forRoot(options: ServicePlatformOptions): DynamicModule {
    const { config, logger } = options;
    const publicKey = loadKey({
      inline: config.JWT_PUBLIC_KEY,
      file: config.JWT_PUBLIC_KEY_FILE,
      name: 'JWT_PUBLIC_KEY',
      generateIfMissing: config.NODE_ENV !== 'production',
    });
    const registry = createServiceRegistry(options.serviceName);
    return {
      module: ServicePlatformModule,
      global: true,
      imports: [
        DatabaseModule.forRoot(config, options),
        MessagingModule.forRoot({
          serviceName: options.serviceName,
          natsUrl: config.NATS_URL,
          credentials: natsCredentials(config),
          namespace: config.NATS_NAMESPACE,
          streamReplicas: config.NATS_STREAM_REPLICAS,
          outbox: { batchSize: config.OUTBOX_BATCH_SIZE, pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS },
          ackWaitMs: config.MESSAGE_ACK_WAIT_MS,
          logger,
          metricsRegistry: registry,
        }),
        HealthModule.forRoot({ maxConsumerPending: config.READY_MAX_CONSUMER_PENDING }),
      ],
      controllers: [MetricsController],
      providers: [
        { provide: ServiceLogger, useValue: logger },
        { provide: METRICS_REGISTRY, useValue: registry },
        {
          provide: JwtVerifier,
          useValue: new JwtVerifier({ publicKey, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }),
        },
        JwtAuthGuard,
        FlushTracesOnShutdown,
      ],
      exports: [ServiceLogger, JwtVerifier, JwtAuthGuard, METRICS_REGISTRY],
    };
  }
}
