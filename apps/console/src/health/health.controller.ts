import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { MessagingRuntime } from '@eventshop/messaging';

/** `GET /health`: 200 when NATS answers (the console has no database), 503 otherwise. */
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
    return this.health.check([
      this.indicators.check('nats').attempt(async () => {
        if (!(await this.messaging.isHealthy(1_500))) throw new Error('NATS does not answer');
      }),
    ]);
  }
}
