import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import {
  connectJetStreamTransport,
  inboxPrefixFor,
  installTracePropagation,
  NatsUnavailableError,
  StreamsNotProvisionedError,
} from '@eventshop/messaging';
import { ConfigError, natsCredentials, type RuntimeConfig } from '../config/config.js';
import { PostgresUnavailableError } from '../database/ensure-database.js';
import { JwtKeyError } from '../auth/jwt-keys.js';
import { correlationMiddleware } from '../http/correlation.middleware.js';
import { HttpErrorsFilter } from '../http/http-exception.filter.js';
import { createValidationPipe } from '../http/validation.js';
import type { ServiceLogger } from '../logging/service-logger.js';
import { METRICS_REGISTRY } from '../metrics/metrics.controller.js';
import { httpMetrics } from '../metrics/http-metrics.js';

export interface StartServiceOptions {
  readonly module: unknown;
  readonly config: RuntimeConfig;
  readonly logger: ServiceLogger;
  /**
   * Whether the service answers NATS request-reply (`@MessagePattern`) through Nest's built-in NATS
   * transport. Replicas share requests through the queue group `<service>.rpc`.
   */
  readonly requestReply?: { readonly serviceName: string };
}

/**
 * Creates and starts a service: HTTP conventions (security headers, correlation ids, validation, 4xx
 * for bad input), the JetStream transport for its event handlers, and graceful shutdown on
 * SIGTERM/SIGINT.
 * Returns the running app; `app.close()` stops it (HTTP, then consumers, then relay and connections).
 */
export async function startService(options: StartServiceOptions): Promise<INestApplication> {
  installTracePropagation();
  const app = await NestFactory.create<NestExpressApplication>(options.module as never, { logger: options.logger, abortOnError: false });
  // The client's address (rate limits, logs) comes from X-Forwarded-For only behind a trusted proxy.
  app.set('trust proxy', options.config.TRUST_PROXY);
  // First, so every request is timed, those refused early (401, 404) included.
  app.use(httpMetrics(app.get(METRICS_REGISTRY)));
  // Security headers on every response (nosniff, frame options, HSTS, a strict CSP, no X-Powered-By).
  app.use(helmet());
  app.use(correlationMiddleware);
  // One access-log line per request, inside the request's correlation context.
  app.use(options.logger.accessLog());
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorsFilter(app.getHttpAdapter()));
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  // Started when the service declares @OnEvent handlers.
  connectJetStreamTransport(app);
  if (options.requestReply) {
    const credentials = natsCredentials(options.config);
    app.connectMicroservice(
      {
        transport: Transport.NATS,
        options: {
          servers: [options.config.NATS_URL],
          queue: `${options.requestReply.serviceName}.rpc`,
          // The same NATS user as the bus connection: it may answer its own query subjects only.
          user: credentials?.user,
          pass: credentials?.password,
          inboxPrefix: inboxPrefixFor(credentials?.user ?? options.requestReply.serviceName),
        },
      },
      { inheritAppConfig: true },
    );
  }
  await app.startAllMicroservices();
  await app.listen(options.config.PORT, options.config.HOST);
  return app;
}

/** Start-up failures a user can fix; they are printed as one clear line instead of a stack trace. */
const explainedErrors = [ConfigError, PostgresUnavailableError, NatsUnavailableError, StreamsNotProvisionedError, JwtKeyError];

/** Runs `start` as the process's main; a known start-up failure prints its message and exits 1. */
export function runMain(serviceName: string, start: () => Promise<unknown>): void {
  start().catch((error: unknown) => {
    if (explainedErrors.some((type) => error instanceof type)) {
      process.stderr.write(`${serviceName} cannot start: ${(error as Error).message}\n`);
    } else {
      process.stderr.write(`${serviceName} failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
    }
    process.exit(1);
  });
}
