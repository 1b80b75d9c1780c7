import { Counter, Histogram, type Registry } from 'prom-client';
import type { Middleware } from '../handler.js';
import { BusMetrics, metricOptions } from '../metric-names.js';
import { existingOr } from '../metrics/existing-or.js';

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

/** One consumer group's label children, bound once: the hot path allocates no label objects. */
interface GroupSeries {
  readonly ack: Counter.Internal;
  readonly retry: Counter.Internal;
  readonly error: Counter.Internal;
  readonly seconds: Histogram.Internal<string>;
}

/**
 * Counts and times every delivery per consumer group:
 * `eventshop_messages_handled_total{consumer,outcome}` and
 * `eventshop_message_handling_seconds{consumer}`.
 *
 * The outcome is what the rest of the chain answered: `ack`, `retry` (a redelivery was asked for)
 * or `error` (it threw). Placed just inside the dead-letter middleware, `retry` counts retries
 * scheduled by the retry middleware (naks with delay) and `error` counts messages given up on
 * (dead-lettered).
 *
 * The metrics are created in the registry on first use and shared by every handler after that, so
 * wrapping each handler with `metrics({ registry })` is fine. Each consumer group's series are
 * bound once (prom-client's `labels()` children), so a delivery costs two increments and a lookup.
 */
export function metrics(options: MessageMetricsOptions): Middleware {
  const { MessagesHandled, HandlingSeconds } = BusMetrics;
  const handled = existingOr(options.registry, MessagesHandled.name, Counter, () =>
    new Counter({ ...metricOptions(MessagesHandled), registers: [options.registry] }),
  );
  const duration = existingOr(options.registry, HandlingSeconds.name, Histogram, () =>
    new Histogram({ ...metricOptions(HandlingSeconds), buckets: [...(options.buckets ?? defaultBuckets)], registers: [options.registry] }),
  );
  const now = options.now ?? (() => performance.now());
  // A wrapped handler usually sees one consumer group; a map keeps it right when it sees more.
  const byGroup = new Map<string, GroupSeries>();
  const seriesOf = (consumer: string): GroupSeries => {
    let series = byGroup.get(consumer);
    if (series === undefined) {
      series = {
        ack: handled.labels(consumer, 'ack'),
        retry: handled.labels(consumer, 'retry'),
        error: handled.labels(consumer, 'error'),
        seconds: duration.labels(consumer),
      };
      // Every outcome's series exists from the group's first delivery, at 0, so rate() sees the
      // first retry or failure instead of a series that appears with it (Prometheus' advice).
      for (const counter of [series.ack, series.retry, series.error]) counter.inc(0);
      byGroup.set(consumer, series);
    }
    return series;
  };

  return (next) => async (message) => {
    const startedAt = now();
    const series = seriesOf(message.consumer);
    let counter = series.error;
    try {
      const result = await next(message);
      counter = result && result.kind === 'retry' ? series.retry : series.ack;
      return result;
    } finally {
      counter.inc();
      series.seconds.observe((now() - startedAt) / 1000);
    }
  };
}
