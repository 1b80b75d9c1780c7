import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DEFAULT_READY_MAX_CONSUMER_PENDING } from '../config/config.js';
import { HEALTH_OPTIONS, HealthController, type HealthOptions } from './health.controller.js';

/** `/health`, `/health/live` and `/health/ready` (see HealthController). */
@Module({})
export class HealthModule {
  static forRoot(options: Partial<HealthOptions> = {}): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [{ provide: HEALTH_OPTIONS, useValue: { database: options.database ?? true, maxConsumerPending: options.maxConsumerPending ?? DEFAULT_READY_MAX_CONSUMER_PENDING } satisfies HealthOptions }],
    };
  }
}
