import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { MessagingRuntime } from '@eventshop/messaging';

/** `GET /health`: 200 when the service's database and NATS answer, 503 (with which one failed) otherwise. */
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
    return this.health.check([
      this.database.pingCheck('database').withTimeout(1_500),
      this.indicators.check('nats').attempt(async () => {
        if (!(await this.messaging.isHealthy(1_500))) throw new Error('NATS does not answer');
      }),
    ]);
  }
}
