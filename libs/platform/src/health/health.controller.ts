import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { type BusState, MessagingRuntime } from '@eventshop/messaging';

/**
 * Health endpoints, one per question an orchestrator asks:
 *
 * - `GET /health/live`: is the process alive and serving HTTP? Always 200 while it is; it checks no
 *   dependency, so a database or NATS outage never gets healthy pods restarted (the liveness probe).
 * - `GET /health/ready`: may this instance take traffic? 200 when its database and NATS answer and
 *   none of its consumer groups is hopelessly behind, 503 naming what failed otherwise (the
 *   readiness probe: the pod leaves the Service meanwhile).
 * - `GET /health`: the same as ready, kept for people and scripts that ask the plain question.
 *
 * Consumer lag (`consumers`) is reported on every call (each group's `pending` and `ackPending`)
 * and fails readiness only above `maxConsumerPending` undelivered messages in one group. The bar is
 * high on purpose: every replica of a service shares its groups, so a lag verdict takes all of them
 * out of the Service at once; a service that is merely busy must never flap out. Unknown lag (the
 * broker does not answer) is `degraded`, not down: the `nats` check already fails for that.
 *
 * A process that owns no database (the console) is ready when NATS answers.
 */
export interface HealthOptions {
  /** Whether the process owns a database that readiness must check. */
  readonly database: boolean;
  /** Undelivered messages in one consumer group above which readiness fails; 0: lag is only reported. */
  readonly maxConsumerPending: number;
}

export const HEALTH_OPTIONS = Symbol('HEALTH_OPTIONS');

/** How long readiness waits for each dependency before calling it down. */
const CHECK_TIMEOUT_MS = 1_500;

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
      ...(this.options.database ? [this.database.pingCheck('database').withTimeout(CHECK_TIMEOUT_MS)] : []),
      this.indicators.check('nats').attempt(async () => {
        if (!(await this.messaging.isHealthy(CHECK_TIMEOUT_MS))) throw new Error('NATS does not answer');
      }),
      () => this.consumerLag(),
    ]);
  }

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  private async consumerLag() {
    const indicator = this.indicators.check('consumers');
    const maxPending = this.options.maxConsumerPending;
    let state: BusState;
    try {
      state = await withTimeout(this.messaging.busState.read(), CHECK_TIMEOUT_MS);
    } catch {
      return indicator.degraded({ message: 'consumer lag unknown: the broker did not answer' });
    }
    const groups = Object.fromEntries(state.consumers.map(({ group, pending, ackPending }) => [group, { pending, ackPending }]));
    const behind = maxPending > 0 ? state.consumers.filter((lag) => lag.pending > maxPending).map((lag) => lag.group) : [];
    return behind.length > 0 ? indicator.down({ maxPending, behind, groups }) : indicator.up({ maxPending, groups });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}
