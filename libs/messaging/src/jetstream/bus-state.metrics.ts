import { Gauge, type Registry } from 'prom-client';
import { BusMetrics, type MetricDefinition, metricOptions } from '../metric-names.js';
import type { BreakerState } from '../resilience/dependency-breaker.js';
import type { BusState } from './bus-state.js';

/** Where the bus-state gauges read from at scrape time. */
export interface BusStateMetricsSource {
  /** The consumer groups' lag and dead letters (see BusStateReader). */
  readonly busState: () => Promise<BusState>;
  /** The registered circuit breakers' states, by dependency name. */
  readonly breakers: () => Iterable<readonly [string, BreakerState]>;
}

/** `eventshop_circuit_breaker_state`'s values. A breaker shut down (the process is stopping) is not reported. */
export const breakerStateValue: Readonly<Record<Exclude<BreakerState, 'shutdown'>, number>> = { closed: 0, halfOpen: 1, open: 2 };

/**
 * Registers the gauges read from the broker and the breakers at every scrape:
 * `eventshop_consumer_pending_messages{consumer}`, `eventshop_consumer_ack_pending_messages{consumer}`,
 * `eventshop_dead_letter_messages{consumer}` and `eventshop_circuit_breaker_state{dependency}`.
 *
 * The three broker gauges share one read per scrape (BusStateReader caches it). When the broker
 * cannot be asked, they report no series for that scrape (the scrape itself still succeeds), so a
 * dashboard shows a gap rather than a made-up 0. Every replica of a service reports the same
 * groups: aggregate them with `max by (consumer)`. Call it once per registry.
 */
export function registerBusStateMetrics(registry: Registry, source: BusStateMetricsSource): void {
  const readOrUndefined = () => source.busState().catch(() => undefined);
  /** A gauge with one series per consumer group, set from the state read at scrape time. */
  const perGroup = (metric: MetricDefinition, values: (state: BusState) => Iterable<readonly [string, number]>) =>
    new Gauge({
      ...metricOptions(metric),
      registers: [registry],
      async collect() {
        const state = await readOrUndefined();
        this.reset();
        if (state) for (const [group, value] of values(state)) this.labels(group).set(value);
      },
    });
  perGroup(BusMetrics.ConsumerPending, (state) => state.consumers.map((lag) => [lag.group, lag.pending] as const));
  perGroup(BusMetrics.ConsumerAckPending, (state) => state.consumers.map((lag) => [lag.group, lag.ackPending] as const));
  perGroup(BusMetrics.DeadLetterDepth, (state) => state.deadLetters ?? []);
  new Gauge({
    ...metricOptions(BusMetrics.CircuitBreakerState),
    registers: [registry],
    collect() {
      this.reset();
      for (const [dependency, state] of source.breakers()) {
        if (state !== 'shutdown') this.labels(dependency).set(breakerStateValue[state]);
      }
    },
  });
}
