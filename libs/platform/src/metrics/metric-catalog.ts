import { BusMetrics, type MetricDefinition } from '@eventshop/messaging';
import { HttpMetrics } from './http-metrics.js';

/**
 * Every eventshop metric a service exports besides Node's default process metrics (`process_*`,
 * `nodejs_*`), in the order the README's "Metrics and dashboards" table lists them. Every series
 * also carries `service` (the registry's default label).
 */
export const serviceMetricCatalog: readonly MetricDefinition[] = [...Object.values(HttpMetrics), ...Object.values(BusMetrics)];

/**
 * The README's metrics table, generated from the catalog (a unit test keeps the README equal to it):
 * paste the output of `node -e "import('@eventshop/platform').then((p) => console.log(p.metricsTableMarkdown()))"`.
 */
export function metricsTableMarkdown(catalog: readonly MetricDefinition[] = serviceMetricCatalog): string {
  const rows = catalog.map(
    (metric) =>
      `| \`${metric.name}\` | ${metric.type} | ${metric.labels.map((label) => `\`${label}\``).join(', ') || '—'} | ${metric.help.replace(/\|/g, '\\|')} |`,
  );
  return ['| metric | type | labels | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
