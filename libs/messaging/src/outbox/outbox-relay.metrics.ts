import { Counter, Gauge, type Registry } from 'prom-client';
import { BusMetrics, metricOptions } from '../metric-names.js';

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
    ...metricOptions(BusMetrics.OutboxPendingRows),
    registers: [registry],
    async collect() {
      this.set(await readOrNaN(source.pendingRows));
    },
  });
  new Gauge({
    ...metricOptions(BusMetrics.OutboxLagSeconds),
    registers: [registry],
    async collect() {
      this.set(await readOrNaN(source.lagSeconds));
    },
  });
  new Counter({
    ...metricOptions(BusMetrics.OutboxPublished),
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
