/**
 * deploy/observability (Grafana dashboards and datasources, Prometheus' scrape config) against the
 * code and docker-compose.yml. Each check runs on the real files, then on broken copies.
 */
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { createServiceRegistry, serviceMetricCatalog } from '@eventshop/platform';
import {
  baseMetricName,
  checkDashboards,
  checkPrometheusTargets,
  DASHBOARDS_DIR,
  DATASOURCES_FILE,
  type ExportedMetrics,
  PROMETHEUS_FILE,
  promqlMetricNames,
  provisionedDatasourceUids,
  readDashboards,
} from './observability.js';
import { discoverApps, readYaml, REPO_ROOT } from './workspace.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

const apps = discoverApps();
const compose = readYaml(join(REPO_ROOT, 'docker-compose.yml'));
const prometheus = readYaml(join(REPO_ROOT, PROMETHEUS_FILE));
const dashboards = readDashboards(join(REPO_ROOT, DASHBOARDS_DIR));
const datasourceUids = provisionedDatasourceUids(readYaml(join(REPO_ROOT, DATASOURCES_FILE)));

/** What a service exports: the eventshop catalog and Node's default metrics of a real service registry. */
async function exportedMetrics(): Promise<ExportedMetrics> {
  const defaults = await createServiceRegistry('deploy-check').getMetricsAsJSON();
  return new Map([
    ...defaults.map((metric) => [metric.name, String(metric.type)] as const),
    ...serviceMetricCatalog.map((metric) => [metric.name, metric.type] as const),
  ]);
}

const copy = <T>(value: T, change: (doc: Doc) => void): T => {
  const clone = structuredClone(value) as Doc;
  change(clone);
  return clone as T;
};

describe('Grafana dashboards', () => {
  it('are the Pipeline and Service dashboards, on the provisioned Prometheus and Jaeger datasources', () => {
    expect([...dashboards.keys()]).toEqual(['pipeline.json', 'service.json']);
    expect([...datasourceUids].sort()).toEqual(['jaeger', 'prometheus']);
  });

  it('query only metrics the services export (or known NATS exporter metrics), in valid PromQL', async () => {
    expect(checkDashboards(dashboards, await exportedMetrics(), datasourceUids)).toEqual([]);
  });

  it.each<[string, (doc: Doc) => void, RegExp]>([
    ['a metric no service exports', (d) => (d.panels[1].targets[0].expr = 'sum(rate(eventshop_messages_handeld_total[$__rate_interval]))'), /queries eventshop_messages_handeld_total, which no service exports/],
    ['an unknown NATS metric', (d) => (d.panels[1].targets[0].expr = 'gnatsd_varz_not_a_field'), /queries gnatsd_varz_not_a_field/],
    ['broken PromQL', (d) => (d.panels[1].targets[0].expr = 'sum(rate(eventshop_messages_handled_total[5m])'), /not valid PromQL/],
    ['_bucket of a counter', (d) => (d.panels[1].targets[0].expr = 'eventshop_messages_handled_total_bucket'), /queries eventshop_messages_handled_total_bucket/],
    ['an unprovisioned datasource', (d) => (d.panels[1].datasource = { type: 'prometheus', uid: 'elsewhere' }), /datasource uid "elsewhere"/],
  ])('fail with %s', async (_label, change, message) => {
    const broken = new Map(dashboards);
    broken.set('pipeline.json', copy(dashboards.get('pipeline.json'), change));
    expect(checkDashboards(broken, await exportedMetrics(), datasourceUids).join('\n')).toMatch(message);
  });

  it('finds metric names in selectors only (not functions, labels or by-clauses), and strips histogram suffixes', async () => {
    const exported = await exportedMetrics();
    const expr = 'histogram_quantile(0.95, sum by (consumer, le) (rate(eventshop_message_handling_seconds_bucket{service="$service"}[$__rate_interval]))) / on() group_left max(up)';
    expect(promqlMetricNames(expr)).toEqual({ names: ['eventshop_message_handling_seconds_bucket', 'up'], valid: true });
    expect(baseMetricName('eventshop_message_handling_seconds_bucket', exported)).toBe('eventshop_message_handling_seconds');
    expect(baseMetricName('eventshop_http_request_duration_seconds_count', exported)).toBe('eventshop_http_request_duration_seconds');
    expect(baseMetricName('eventshop_outbox_published_total', exported)).toBe('eventshop_outbox_published_total');
  });
});

describe('Prometheus scrape config', () => {
  it('scrapes every app on its eventshop.port, and NATS through the exporter on the monitoring port', () => {
    expect(checkPrometheusTargets(prometheus, compose, apps)).toEqual([]);
  });

  it.each<[string, () => unknown[], RegExp]>([
    ['an app missing', () => [copy(prometheus, (p) => p.scrape_configs[0].static_configs[0].targets.pop()), compose], /does not scrape read-model-service:3005/],
    ['a wrong port', () => [copy(prometheus, (p) => (p.scrape_configs[0].static_configs[0].targets[1] = 'user-service:9999')), compose], /scrapes user-service:9999, which is no app/],
    ['no NATS job', () => [copy(prometheus, (p) => p.scrape_configs.pop()), compose], /job "nats" must scrape nats-exporter:7777/],
    ['NATS without monitoring', () => [prometheus, copy(compose, (c) => (c.services.nats.command = ['-c', '/etc/nats/auth.conf', '-js', '-sd', '/data']))], /must enable monitoring with -m 8222/],
    ['the exporter reading another host', () => [prometheus, copy(compose, (c) => (c.services['nats-exporter'].command = ['-varz', '-port', '7777', 'http://localhost:8222']))], /must read http:\/\/nats:8222/],
  ])('fails with %s', (_label, files, message) => {
    const [brokenPrometheus, brokenCompose] = files();
    expect(checkPrometheusTargets(brokenPrometheus, brokenCompose, apps).join('\n')).toMatch(message);
  });

  it('fails when an app is added under apps/ and Prometheus does not scrape it', () => {
    expect(checkPrometheusTargets(prometheus, compose, [...apps, { service: 'example-service', port: 3999 }])).toContain(
      `${PROMETHEUS_FILE}: job "eventshop" does not scrape example-service:3999`,
    );
  });
});
