// BusMetrics is the one list of the bus's metrics (the README table and the dashboards' check read
// it): this keeps it equal to what the code really registers.
import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { BusMetrics } from './metric-names.js';
import { metrics } from './middleware/metrics.middleware.js';
import { deadLetter } from './middleware/dead-letter.middleware.js';
import { registerOutboxRelayMetrics } from './outbox/outbox-relay.metrics.js';
import { MessagingRuntime } from './nest/messaging-runtime.js';
import { InMemoryPubSub } from './memory/in-memory-pubsub.js';

async function registered(registry: Registry) {
  return (await registry.getMetricsAsJSON()).map(({ name, type, help }) => ({ name, type: String(type), help })).sort((a, b) => a.name.localeCompare(b.name));
}

describe('BusMetrics', () => {
  it('lists exactly the metrics the bus registers: same names, types and help', async () => {
    const registry = new Registry();
    metrics({ registry });
    deadLetter({ publisher: new InMemoryPubSub(), subjectPrefix: 'dlq', handler: 'h', metricsRegistry: registry });
    registerOutboxRelayMetrics(registry, { pendingRows: () => 0, lagSeconds: () => 0, publishedTotal: () => 0 });
    // The runtime registers the broker and breaker gauges; it needs no connection for that.
    new MessagingRuntime({ serviceName: 'catalog-test', natsUrl: 'nats://127.0.0.1:1', metricsRegistry: registry });

    const catalog = Object.values(BusMetrics)
      .map(({ name, type, help }) => ({ name, type: String(type), help }))
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(await registered(registry)).toEqual(catalog);
  });

  it('names follow Prometheus conventions: eventshop_ prefix, _total on counters only, base units', () => {
    for (const metric of Object.values(BusMetrics)) {
      expect(metric.name).toMatch(/^eventshop_[a-z_]+$/);
      expect(metric.name.endsWith('_total')).toBe(metric.type === 'counter');
      expect(metric.name).not.toMatch(/_(ms|milliseconds|minutes)$/);
    }
  });
});
