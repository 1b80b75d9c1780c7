import { Counter, Histogram, type Registry } from 'prom-client';
import type { Middleware } from '../handler.js';
import { MetricNames } from '../metric-names.js';

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
