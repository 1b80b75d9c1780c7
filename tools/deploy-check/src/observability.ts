/**
 * The observability files under deploy/observability against the code and docker-compose.yml:
 * every metric a Grafana dashboard queries is one the services export (or a NATS exporter metric
 * known to exist), every query is valid PromQL, every datasource a panel names is provisioned, and
 * Prometheus scrapes exactly the apps (on their `eventshop.port`) and the NATS exporter.
 *
 * Like the other checks, each returns a list of problems (empty = fine), so the tests can run it on
 * the real files and on broken copies.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { composeServices } from './compose.js';
import { isRecord, type AppService } from './workspace.js';

export const OBSERVABILITY_DIR = join('deploy', 'observability');
export const DASHBOARDS_DIR = join(OBSERVABILITY_DIR, 'grafana', 'dashboards');
export const DATASOURCES_FILE = join(OBSERVABILITY_DIR, 'grafana', 'provisioning', 'datasources', 'datasources.yml');
export const PROMETHEUS_FILE = join(OBSERVABILITY_DIR, 'prometheus', 'prometheus.yml');

/** The Prometheus job that scrapes the apps, and the one that scrapes NATS through the exporter. */
export const APPS_JOB = 'eventshop';
export const NATS_JOB = 'nats';
/** The compose service of the NATS exporter, the port it serves on, and the NATS monitoring port it reads. */
export const NATS_EXPORTER = { service: 'nats-exporter', port: 7777, natsMonitoringPort: 8222 } as const;

/**
 * NATS metrics the dashboards may use. prometheus-nats-exporter's `-varz` names every numeric field
 * of nats-server's `/varz` `gnatsd_varz_<field>`; these are the fields nats-server 2.9+ reports
 * (read from a running server's /varz). Exporter metrics outside this list fail the check until
 * added here with their source.
 */
export const NATS_EXPORTER_METRICS: ReadonlySet<string> = new Set(
  ['connections', 'total_connections', 'in_msgs', 'out_msgs', 'in_bytes', 'out_bytes', 'slow_consumers', 'subscriptions', 'mem', 'cpu', 'routes', 'remotes', 'leafnodes'].map(
    (field) => `gnatsd_varz_${field}`,
  ),
);

/** What the services export: metric name → Prometheus type. */
export type ExportedMetrics = ReadonlyMap<string, string>;

export interface DashboardQuery {
  readonly dashboard: string;
  readonly panel: string;
  readonly expr: string;
}

/** Every PromQL expression of a dashboard's panels (rows' nested panels included) and its variables. */
export function dashboardQueries(file: string, dashboard: unknown): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  const visitPanels = (panels: unknown) => {
    for (const panel of Array.isArray(panels) ? panels.filter(isRecord) : []) {
      for (const target of Array.isArray(panel.targets) ? panel.targets.filter(isRecord) : []) {
        if (typeof target.expr === 'string') queries.push({ dashboard: file, panel: String(panel.title), expr: target.expr });
      }
      visitPanels(panel.panels);
    }
  };
  if (!isRecord(dashboard)) return queries;
  visitPanels(dashboard.panels);
  const variables = isRecord(dashboard.templating) && Array.isArray(dashboard.templating.list) ? dashboard.templating.list.filter(isRecord) : [];
  for (const variable of variables) {
    const query = isRecord(variable.query) ? variable.query.query : variable.query;
    // label_values(metric, label) is Grafana's, not PromQL: its metric is checked like a selector.
    const labelValues = typeof query === 'string' ? /^label_values\(\s*([^,)]+)/.exec(query) : null;
    if (labelValues) queries.push({ dashboard: file, panel: `variable ${String(variable.name)}`, expr: labelValues[1] as string });
  }
  return queries;
}

/** Grafana's interval variables become a plain duration, so the expression parses as PromQL. */
function withoutGrafanaVariables(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');
}

/** The metric names an expression selects, and whether it parses as PromQL at all. */
export function promqlMetricNames(expr: string): { names: string[]; valid: boolean } {
  const text = withoutGrafanaVariables(expr);
  const names: string[] = [];
  let valid = true;
  const cursor = parser.parse(text).cursor();
  do {
    if (cursor.type.isError) valid = false;
    if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector') names.push(text.slice(cursor.from, cursor.to));
  } while (cursor.next());
  return { names, valid };
}

/** A histogram's (or summary's) series name → the metric it belongs to; any other name unchanged. */
export function baseMetricName(name: string, exported: ExportedMetrics): string {
  const match = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (!match) return name;
  const base = match[1] as string;
  const type = exported.get(base);
  return type === 'histogram' || type === 'summary' ? base : name;
}

/** Every dashboard query is valid PromQL over metrics that exist; every datasource is provisioned. */
export function checkDashboards(
  dashboards: ReadonlyMap<string, unknown>,
  exported: ExportedMetrics,
  datasourceUids: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  for (const [file, dashboard] of dashboards) {
    const queries = dashboardQueries(file, dashboard);
    if (queries.length === 0) problems.push(`${file}: has no PromQL queries`);
    for (const query of queries) {
      const where = `${file} "${query.panel}"`;
      const { names, valid } = promqlMetricNames(query.expr);
      if (!valid) problems.push(`${where}: not valid PromQL: ${query.expr}`);
      if (names.length === 0) problems.push(`${where}: selects no metric: ${query.expr}`);
      for (const name of names) {
        const base = baseMetricName(name, exported);
        if (!exported.has(base) && !NATS_EXPORTER_METRICS.has(name)) {
          problems.push(`${where}: queries ${name}, which no service exports (and is not a known NATS exporter metric)`);
        }
      }
    }
    for (const uid of datasourceUidsIn(dashboard)) {
      if (!datasourceUids.has(uid)) problems.push(`${file}: uses datasource uid "${uid}", which is not provisioned`);
    }
  }
  return problems;
}

function datasourceUidsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(datasourceUidsIn);
  if (!isRecord(value)) return [];
  const own = isRecord(value.datasource) && typeof value.datasource.uid === 'string' ? [value.datasource.uid] : [];
  return [...own, ...Object.entries(value).filter(([key]) => key !== 'datasource').flatMap(([, child]) => datasourceUidsIn(child))];
}

/** The provisioned datasources' uids. */
export function provisionedDatasourceUids(provisioning: unknown): Set<string> {
  const list = isRecord(provisioning) && Array.isArray(provisioning.datasources) ? provisioning.datasources.filter(isRecord) : [];
  return new Set(list.map((source) => String(source.uid)));
}

/** The dashboards under `dir`, by file name. */
export function readDashboards(dir: string): Map<string, unknown> {
  const files = readdirSync(dir).filter((file) => file.endsWith('.json')).sort();
  return new Map(files.map((file) => [file, JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown]));
}

function jobTargets(prometheus: unknown, job: string): string[] | undefined {
  const configs = isRecord(prometheus) && Array.isArray(prometheus.scrape_configs) ? prometheus.scrape_configs.filter(isRecord) : [];
  const config = configs.find((c) => c.job_name === job);
  if (!config) return undefined;
  const statics = Array.isArray(config.static_configs) ? config.static_configs.filter(isRecord) : [];
  return statics.flatMap((s) => (Array.isArray(s.targets) ? s.targets.map(String) : []));
}

/**
 * Prometheus scrapes every app at `<compose service>:<eventshop.port>` and nothing else in the apps'
 * job, and NATS through the exporter service, which reads the NATS service's monitoring port.
 */
export function checkPrometheusTargets(prometheus: unknown, compose: unknown, apps: readonly AppService[]): string[] {
  const problems: string[] = [];
  const services = composeServices(compose);
  const expected = apps.map((app) => `${app.service}:${app.port}`).sort();
  const targets = jobTargets(prometheus, APPS_JOB);
  if (!targets) problems.push(`${PROMETHEUS_FILE}: no scrape job "${APPS_JOB}"`);
  else {
    for (const target of expected.filter((t) => !targets.includes(t))) problems.push(`${PROMETHEUS_FILE}: job "${APPS_JOB}" does not scrape ${target}`);
    for (const target of targets.filter((t) => !expected.includes(t))) {
      problems.push(`${PROMETHEUS_FILE}: job "${APPS_JOB}" scrapes ${target}, which is no app at its eventshop.port`);
    }
  }
  const natsTargets = jobTargets(prometheus, NATS_JOB);
  const exporterTarget = `${NATS_EXPORTER.service}:${NATS_EXPORTER.port}`;
  if (!natsTargets?.includes(exporterTarget)) problems.push(`${PROMETHEUS_FILE}: job "${NATS_JOB}" must scrape ${exporterTarget}`);
  if (!services.prometheus) problems.push('docker-compose.yml has no prometheus service');

  const exporter = services[NATS_EXPORTER.service];
  if (!exporter) problems.push(`docker-compose.yml has no ${NATS_EXPORTER.service} service`);
  else {
    const command = Array.isArray(exporter.command) ? exporter.command.map(String) : [];
    if (!command.includes(`http://nats:${NATS_EXPORTER.natsMonitoringPort}`)) {
      problems.push(`services.${NATS_EXPORTER.service}.command must read http://nats:${NATS_EXPORTER.natsMonitoringPort}`);
    }
    const port = command[command.indexOf('-port') + 1];
    if (!command.includes('-port') || port !== String(NATS_EXPORTER.port)) problems.push(`services.${NATS_EXPORTER.service}.command must serve on -port ${NATS_EXPORTER.port}`);
  }
  const nats = services.nats;
  const natsCommand = nats && Array.isArray(nats.command) ? nats.command.map(String) : [];
  if (natsCommand[natsCommand.indexOf('-m') + 1] !== String(NATS_EXPORTER.natsMonitoringPort) || !natsCommand.includes('-m')) {
    problems.push(`services.nats.command must enable monitoring with -m ${NATS_EXPORTER.natsMonitoringPort} (the exporter reads it)`);
  }
  return problems;
}
