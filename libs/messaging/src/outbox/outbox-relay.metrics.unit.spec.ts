import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { MetricNames } from '../metric-names.js';
import { registerOutboxRelayMetrics } from './outbox-relay.metrics.js';
import { metricSample } from '../testing/metric-sample.js';

describe('registerOutboxRelayMetrics', () => {
  it('reads the relay numbers at scrape time', async () => {
    const registry = new Registry();
    const relay = { pending: 3, lag: 1.5, published: 10 };
    registerOutboxRelayMetrics(registry, {
      pendingRows: async () => relay.pending,
      lagSeconds: () => relay.lag,
      publishedTotal: () => relay.published,
    });

    expect(await metricSample(registry, MetricNames.OutboxPendingRows)).toBe(3);
    expect(await metricSample(registry, MetricNames.OutboxLagSeconds)).toBe(1.5);
    expect(await metricSample(registry, MetricNames.OutboxPublished)).toBe(10);

    Object.assign(relay, { pending: 0, lag: 0, published: 13 });
    expect(await metricSample(registry, MetricNames.OutboxPendingRows)).toBe(0);
    expect(await metricSample(registry, MetricNames.OutboxLagSeconds)).toBe(0);
    expect(await metricSample(registry, MetricNames.OutboxPublished)).toBe(13);
  });

  it('exposes the published count as a counter and renders all three in the exposition format', async () => {
    const registry = new Registry();
    registerOutboxRelayMetrics(registry, { pendingRows: () => 2, lagSeconds: () => 0.25, publishedTotal: () => 7 });

    const text = await registry.metrics();

    expect(text).toContain(`# TYPE ${MetricNames.OutboxPublished} counter`);
    expect(text).toContain(`# TYPE ${MetricNames.OutboxPendingRows} gauge`);
    expect(text).toMatch(new RegExp(`^${MetricNames.OutboxPendingRows} 2$`, 'm'));
    expect(text).toMatch(new RegExp(`^${MetricNames.OutboxLagSeconds} 0.25$`, 'm'));
    expect(text).toMatch(new RegExp(`^${MetricNames.OutboxPublished} 7$`, 'm'));
  });

  it('reports NaN for a failing source instead of failing the whole scrape', async () => {
    const registry = new Registry();
    registerOutboxRelayMetrics(registry, {
      pendingRows: () => Promise.reject(new Error('database is down')),
      lagSeconds: () => 4,
      publishedTotal: () => 1,
    });

    expect(await metricSample(registry, MetricNames.OutboxPendingRows)).toBeNaN();
    expect(await metricSample(registry, MetricNames.OutboxLagSeconds)).toBe(4);
  });
});
