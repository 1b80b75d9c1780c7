import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Middleware } from '../handler.js';

/** Metric names, for dashboards and alerts. */
export const MetricNames = {
  MessagesHandled: 'eventshop_messages_handled_total',
  HandlingSeconds: 'eventshop_message_handling_seconds',
  OutboxPendingRows: 'eventshop_outbox_pending_rows',
  OutboxLagSeconds: 'eventshop_outbox_lag_seconds',
  OutboxPublished: 'eventshop_outbox_published_total',
} as const;

/** How a delivery ended: handled, handed back for redelivery, or failed for good (dead letter). */
export type HandlingOutcome = 'ack' | 'retry' | 'error';

/** Up to the default handler timeout (30 s). */
const defaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface MessageMetricsOptions {
  readonly registry: Registry;
  /** Histogram buckets in seconds; only the first registration of the histogram uses them. */
  readonly buckets?: readonly number[];
  /** Monotonic clock in milliseconds, for tests. */
  readonly now?: () => number;
}

/**
 * Counts and times every delivery per consumer group:
 * `eventshop_messages_handled_total{consumer,outcome}` and
 * `eventshop_message_handling_seconds{consumer}`.
 *
 * The outcome is what the rest of the chain answered: `ack`, `retry` (a redelivery was asked for)
 * or `error` (it threw). Placed just inside the dead-letter middleware, `retry` counts retries
 * scheduled by the retry middleware and `error` counts messages given up on (dead-lettered).
 *
 * The metrics are created in the registry on first use and shared by every handler after that, so
 * wrapping each handler with `metrics({ registry })` is fine.
 */
export function metrics(options: MessageMetricsOptions): Middleware {
  const handled = existingOr(options.registry, MetricNames.MessagesHandled, Counter, () =>
    new Counter({
      name: MetricNames.MessagesHandled,
      help: 'Messages handled, by consumer group and outcome (ack, retry, error).',
      labelNames: ['consumer', 'outcome'],
      registers: [options.registry],
    }),
  );
  const duration = existingOr(options.registry, MetricNames.HandlingSeconds, Histogram, () =>
    new Histogram({
      name: MetricNames.HandlingSeconds,
      help: 'Time from a delivery entering the handler chain to its outcome, by consumer group.',
      labelNames: ['consumer'],
      buckets: [...(options.buckets ?? defaultBuckets)],
      registers: [options.registry],
    }),
  );
  const now = options.now ?? (() => performance.now());

  return (next) => async (message) => {
    const startedAt = now();
    let outcome: HandlingOutcome = 'error';
    try {
      const result = await next(message);
      outcome = result && result.kind === 'retry' ? 'retry' : 'ack';
      return result;
    } finally {
      handled.inc({ consumer: message.consumer, outcome });
      duration.observe({ consumer: message.consumer }, (now() - startedAt) / 1000);
    }
  };
}

/** The metric already registered under `name`, or a new one; a metric of another type is an error. */
function existingOr<T extends object>(
  registry: Registry,
  name: string,
  type: abstract new (...args: never[]) => T,
  create: () => T,
): T {
  const existing = registry.getSingleMetric(name);
  if (existing === undefined) return create();
  if (!(existing instanceof type)) throw new Error(`metric ${name} is already registered with another type`);
  return existing;
}

/** Where the outbox relay's numbers come from; each is read at scrape time. */
export interface OutboxRelayMetricsSource {
  /** Outbox rows written but not yet published. */
  readonly pendingRows: () => number | Promise<number>;
  /** Age in seconds of the oldest unpublished row; 0 when there is none. */
  readonly lagSeconds: () => number | Promise<number>;
  /** Rows published since this process started; must never decrease (e.g. `() => relay.published`). */
  readonly publishedTotal: () => number;
}

/**
 * Registers the outbox relay's metrics, read from `source` at every scrape:
 * `eventshop_outbox_pending_rows` and `eventshop_outbox_lag_seconds` (gauges) and
 * `eventshop_outbox_published_total` (a counter, as its name says; it restarts at 0 with the
 * process, which Prometheus' `rate()` handles as a counter reset).
 *
 * A source that fails (the database is down) reports NaN for that scrape instead of failing the
 * whole scrape. Call it once per registry: registering the same names twice throws.
 */
export function registerOutboxRelayMetrics(registry: Registry, source: OutboxRelayMetricsSource): void {
  new Gauge({
    name: MetricNames.OutboxPendingRows,
    help: 'Outbox rows written but not yet published to the broker.',
    registers: [registry],
    async collect() {
      this.set(await readOrNaN(source.pendingRows));
    },
  });
  new Gauge({
    name: MetricNames.OutboxLagSeconds,
    help: 'Age in seconds of the oldest unpublished outbox row (0 when none is pending).',
    registers: [registry],
    async collect() {
      this.set(await readOrNaN(source.lagSeconds));
    },
  });
  new Counter({
    name: MetricNames.OutboxPublished,
    help: 'Outbox rows published to the broker since the process started.',
    registers: [registry],
    collect() {
      // The relay keeps the count; mirror it (a counter has no set()).
      this.reset();
      this.inc(source.publishedTotal());
    },
  });
}

async function readOrNaN(read: () => number | Promise<number>): Promise<number> {
  try {
    return await read();
  } catch {
    return Number.NaN;
  }
}
