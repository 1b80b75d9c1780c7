import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { MessagingRuntime } from '@eventshop/messaging';

/**
 * The console's health, with the services' paths (see libs/platform's HealthController): it owns no
 * database, so ready means NATS answers.
 *
 * - `GET /health/live`: the process serves HTTP (the liveness probe; checks no dependency);
 * - `GET /health/ready` and `GET /health`: 200 when NATS answers, 503 otherwise (the readiness probe).
 */
@Controller('health')
export class ConsoleHealthController {
  constructor(
    private readonly health: HealthCheckService,
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
