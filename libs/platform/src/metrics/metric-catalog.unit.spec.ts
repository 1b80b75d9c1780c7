// One table of metrics: the README's is generated from serviceMetricCatalog, and the catalogue's
// HTTP part is what httpMetrics registers (the bus's part is checked in libs/messaging).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { BusMetrics } from '@eventshop/messaging';
import { HttpMetrics, httpMetrics } from './http-metrics.js';
import { metricsTableMarkdown, serviceMetricCatalog } from './metric-catalog.js';

const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

describe('the metrics catalogue', () => {
  it('is the README\'s "Metrics and dashboards" table, row for row', () => {
    expect(readme).toContain(metricsTableMarkdown());
  });

  it('fails when a metric is added without its README row', () => {
    const more = [...serviceMetricCatalog, { name: 'eventshop_new_total', type: 'counter', labels: [], help: 'new' } as const];
    expect(readme).not.toContain(metricsTableMarkdown(more));
  });

  it('holds the HTTP metrics exactly as httpMetrics registers them, and every bus metric', async () => {
    const registry = new Registry();
    httpMetrics(registry);
    const registered = (await registry.getMetricsAsJSON()).map(({ name, type, help }) => ({ name, type: String(type), help }));
    expect(registered).toEqual(Object.values(HttpMetrics).map(({ name, type, help }) => ({ name, type, help })));
    expect(serviceMetricCatalog.map((metric) => metric.name).sort()).toEqual(
      [...Object.values(HttpMetrics), ...Object.values(BusMetrics)].map((metric) => metric.name).sort(),
    );
    expect(new Set(serviceMetricCatalog.map((metric) => metric.name)).size).toBe(serviceMetricCatalog.length);
  });
});
