import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { MessagingRuntime } from '@eventshop/messaging';

/**
 * Health endpoints, one per question an orchestrator asks:
 *
 * - `GET /health/live`: is the process alive and serving HTTP? Always 200 while it is; it checks no
 *   dependency, so a database or NATS outage never gets healthy pods restarted (the liveness probe).
 * - `GET /health/ready`: may this instance take traffic? 200 when its database and NATS answer, 503
 *   naming the one that failed otherwise (the readiness probe: the pod leaves the Service meanwhile).
 * - `GET /health`: the same as ready, kept for people and scripts that ask the plain question.
 *
 * A process that owns no database (the console) is ready when NATS answers.
 */
export interface HealthOptions {
  /** Whether the process owns a database that readiness must check. */
  readonly database: boolean;
}

export const HEALTH_OPTIONS = Symbol('HEALTH_OPTIONS');

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly messaging: MessagingRuntime,
    @Inject(HEALTH_OPTIONS) private readonly options: HealthOptions,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.ready();
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      ...(this.options.database ? [this.database.pingCheck('database').withTimeout(1_500)] : []),
      this.indicators.check('nats').attempt(async () => {
        if (!(await this.messaging.isHealthy(1_500))) throw new Error('NATS does not answer');
      }),
    ]);
  }

  @Get('live')
  live() {
    return { status: 'ok' };
  }
}
