import { Controller, Get } from '@nestjs/common';
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
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly messaging: MessagingRuntime,
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
      this.database.pingCheck('database').withTimeout(1_500),
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
