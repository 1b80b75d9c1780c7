/**
 * k8s/ checks: each manifest against the Kubernetes OpenAPI schema of its kind, plus strict
 * unknown-field detection, plus consistency with the apps.
 *
 * Schemas come from the npm package `kubernetes-models`: per kind, an Ajv validator generated
 * (ajv standalone code) from the Kubernetes OpenAPI spec, and a TypeScript declaration generated from
 * the same spec. The OpenAPI schemas do not forbid unknown properties (kubectl's strict field
 * validation does), so `unknownFields` adds that: it walks a manifest along the generated
 * declarations (<kind>.d.ts) and reports every key the API does not define, at any depth.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { allowedEnvFor, SECRET_ENV, SHARED_ENV } from './documented-env.js';
import { findPemText, isRecord, type AppService } from './workspace.js';

const require = createRequire(import.meta.url);

export const NAMESPACE = 'eventshop';

type Manifest = Record<string, unknown>;

interface KindModel {
  new (data: never): { validate(): void };
}

/** The kinds our manifests may use: "apiVersion/kind" → model class and its declaration file. */
const KINDS: Record<string, { model: KindModel; dts: string; namespaced: boolean }> = {
  'v1/Namespace': { model: Namespace as unknown as KindModel, dts: 'v1/Namespace', namespaced: false },
  'v1/ConfigMap': { model: ConfigMap as unknown as KindModel, dts: 'v1/ConfigMap', namespaced: true },
  'v1/Secret': { model: Secret as unknown as KindModel, dts: 'v1/Secret', namespaced: true },
  'v1/Service': { model: Service as unknown as KindModel, dts: 'v1/Service', namespaced: true },
  'v1/PersistentVolumeClaim': { model: PersistentVolumeClaim as unknown as KindModel, dts: 'v1/PersistentVolumeClaim', namespaced: true },
  'apps/v1/Deployment': { model: Deployment as unknown as KindModel, dts: 'apps/v1/Deployment', namespaced: true },
  'apps/v1/StatefulSet': { model: StatefulSet as unknown as KindModel, dts: 'apps/v1/StatefulSet', namespaced: true },
  'networking.k8s.io/v1/NetworkPolicy': { model: NetworkPolicy as unknown as KindModel, dts: 'networking.k8s.io/v1/NetworkPolicy', namespaced: true },
  'batch/v1/Job': { model: Job as unknown as KindModel, dts: 'batch/v1/Job', namespaced: true },
  'policy/v1/PodDisruptionBudget': { model: PodDisruptionBudget as unknown as KindModel, dts: 'policy/v1/PodDisruptionBudget', namespaced: true },
  'autoscaling/v2/HorizontalPodAutoscaler': { model: HorizontalPodAutoscaler as unknown as KindModel, dts: 'autoscaling/v2/HorizontalPodAutoscaler', namespaced: true },
};

export function kindKey(doc: unknown): string {
  return isRecord(doc) ? `${String(doc.apiVersion)}/${String(doc.kind)}` : '(not an object)';
}

/** Validates one manifest against its kind's OpenAPI schema and for unknown fields. */
export function validateManifest(doc: unknown): string[] {
  const key = kindKey(doc);
  const kind = KINDS[key];
  if (!kind) return [`${key}: not a kind these manifests may use (${Object.keys(KINDS).join(', ')})`];
  const problems: string[] = [];
  try {
    new kind.model(doc as never).validate();
  } catch (error) {
    problems.push(`${key}: ${(error as Error).message}`);
  }
  problems.push(...unknownFields(doc, dtsPath(`kubernetes-models/${kind.dts}`)).map((path) => `${key}: unknown field ${path}`));
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Strict fields, from the generated declarations
// ---------------------------------------------------------------------------------------------------

/** Package folders, found through Node resolution (works whether npm hoisted them or not). */
const MODELS_ENTRY = require.resolve('kubernetes-models');
const PACKAGE_DIRS: Record<string, string> = {
  'kubernetes-models': dirname(MODELS_ENTRY),
  // Resolved from kubernetes-models itself: that is the copy its declarations import.
  '@kubernetes-models/apimachinery': dirname(createRequire(MODELS_ENTRY).resolve('@kubernetes-models/apimachinery')),
};

function dtsPath(specifier: string): string {
  for (const [pkg, dir] of Object.entries(PACKAGE_DIRS)) {
    if (specifier.startsWith(`${pkg}/`)) return join(dir, `${specifier.slice(pkg.length + 1)}.d.ts`);
  }
  throw new Error(`cannot locate declarations for ${specifier}`);
}

type TypeNode =
  | { readonly kind: 'object'; readonly file: string }
  | { readonly kind: 'inline'; readonly shape: Shape }
  | { readonly kind: 'array' | 'map'; readonly of: TypeNode }
  | { readonly kind: 'leaf' };

interface Shape {
  readonly props: ReadonlyMap<string, TypeNode>;
}

const shapes = new Map<string, Shape | null>();

/**
 * Reads `export interface I… { "prop"?: Type; }` from a generated declaration file. Returns null when
 * the file declares no interface (a scalar alias such as Quantity, IntOrString or Time).
 */
function shapeOf(file: string): Shape | null {
  if (shapes.has(file)) return shapes.get(file) ?? null;
  // Drop doc comments, then whitespace runs, so the interface body is one line of TypeScript.
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ');
  const imports = new Map<string, string>();
  for (const match of text.matchAll(/import \{([^}]+)\} from "([^"]+)";/g)) {
    const from = match[2] as string;
    if (from === '@kubernetes-models/base') continue;
    const target = from.startsWith('.') ? join(dirname(file), `${from}.d.ts`) : dtsPath(from);
    for (const name of (match[1] as string).split(',')) imports.set(name.trim(), target);
  }
  const open = /export interface \w+(?: extends [\w, ]+)? \{/.exec(text);
  const shape = open ? membersOf(text.slice(open.index + open[0].length, closingIndex(text, open.index + open[0].length - 1)), imports) : null;
  shapes.set(file, shape);
  return shape;
}

/** Index of the bracket closing the one at `openAt` (for <>, {}, ()). */
function closingIndex(text: string, openAt: number): number {
  let depth = 0;
  for (let i = openAt; i < text.length; i++) {
    const c = text[i] as string;
    if ('<{('.includes(c)) depth++;
    else if ('>})'.includes(c) && !(c === '>' && text[i - 1] === '=')) depth--;
    if (depth === 0) return i;
  }
  throw new Error(`unbalanced brackets in a declaration: ${text.slice(openAt, openAt + 80)}`);
}

/** `"name"?: Type; "other": Type; …` → shape (members split at `;` outside brackets). */
function membersOf(body: string, imports: ReadonlyMap<string, string>): Shape {
  const props = new Map<string, TypeNode>();
  let i = 0;
  while (i < body.length) {
    const member = /^\s*"([^"]+)"\??: /.exec(body.slice(i));
    if (!member) break;
    let j = i + member[0].length;
    const typeStart = j;
    while (j < body.length && body[j] !== ';') j = '<{('.includes(body[j] as string) ? closingIndex(body, j) + 1 : j + 1;
    props.set(member[1] as string, typeNode(body.slice(typeStart, j).trim(), imports));
    i = j + 1;
  }
  return { props };
}

function typeNode(type: string, imports: ReadonlyMap<string, string>): TypeNode {
  if (type.startsWith('Array<') && closingIndex(type, 5) === type.length - 1) {
    return { kind: 'array', of: typeNode(type.slice(6, -1).trim(), imports) };
  }
  if (type.startsWith('{') && closingIndex(type, 0) === type.length - 1) {
    const inner = type.slice(1, -1).trim();
    const map = /^\[key: string\]: (.+?);?$/.exec(inner);
    if (map) return { kind: 'map', of: typeNode((map[1] as string).trim(), imports) };
    return { kind: 'inline', shape: membersOf(inner, imports) };
  }
  const file = imports.get(type);
  return file ? { kind: 'object', file } : { kind: 'leaf' };
}

/** Paths of keys in `value` that the API type declared in `file` does not define. */
export function unknownFields(value: unknown, file: string, path = ''): string[] {
  const shape = shapeOf(file);
  return shape ? unknownInShape(value, shape, path) : [];
}

function unknownInShape(value: unknown, shape: Shape, path: string): string[] {
  if (!isRecord(value)) return [];
  const problems: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const node = shape.props.get(key);
    const childPath = `${path}.${key}`;
    if (!node) problems.push(childPath);
    else problems.push(...walk(child, node, childPath));
  }
  return problems;
}

function walk(value: unknown, node: TypeNode, path: string): string[] {
  switch (node.kind) {
    case 'object':
      return unknownFields(value, node.file, path);
    case 'inline':
      return unknownInShape(value, node.shape, path);
    case 'array':
      return Array.isArray(value) ? value.flatMap((item, i) => walk(item, node.of, `${path}[${i}]`)) : [];
    case 'map':
      return isRecord(value) ? Object.entries(value).flatMap(([k, v]) => walk(v, node.of, `${path}.${k}`)) : [];
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------------
// Structure rules the OpenAPI schema cannot express
// ---------------------------------------------------------------------------------------------------

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

function isPort(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;
}

/** A probe: exactly one handler, a valid port, positive timings (as the API server enforces). */
function checkProbe(probe: unknown, where: string): string[] {
  if (!isRecord(probe)) return [`${where} must be an object`];
  const problems: string[] = [];
  const handlers = ['httpGet', 'tcpSocket', 'exec', 'grpc'].filter((h) => probe[h] !== undefined);
  if (handlers.length !== 1) problems.push(`${where} must have exactly one handler, has ${handlers.join(', ') || 'none'}`);
  for (const h of ['httpGet', 'tcpSocket', 'grpc']) {
    const handler = probe[h];
    if (isRecord(handler) && typeof handler.port !== 'string' && !isPort(handler.port)) problems.push(`${where}.${h}.port ${String(handler.port)} is not in 1..65535`);
  }
  if (isRecord(probe.httpGet) && !String(probe.httpGet.path ?? '').startsWith('/')) problems.push(`${where}.httpGet.path must start with /`);
  for (const field of ['periodSeconds', 'timeoutSeconds', 'failureThreshold', 'successThreshold']) {
    if (probe[field] !== undefined && !(Number(probe[field]) >= 1)) problems.push(`${where}.${field} must be at least 1`);
  }
  return problems;
}

function podSpecOf(doc: Manifest): Record<string, unknown> | undefined {
  const spec = isRecord(doc.spec) ? doc.spec : undefined;
  const template = spec && isRecord(spec.template) ? spec.template : undefined;
  return template && isRecord(template.spec) ? template.spec : undefined;
}

/** Names, namespace, ports, probes, selectors, file modes: rules the API server applies on create. */
export function checkStructure(doc: unknown): string[] {
  if (!isRecord(doc)) return ['a manifest must be an object'];
  const key = kindKey(doc);
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  const name = String(metadata.name ?? '');
  const where = `${key} ${name}`;
  const problems: string[] = [];
  if (!DNS_LABEL.test(name)) problems.push(`${where}: metadata.name must be a DNS label (lower-case, starts with a letter, ≤ 63)`);
  const namespaced = KINDS[key]?.namespaced ?? true;
  if (namespaced && metadata.namespace !== NAMESPACE) problems.push(`${where}: metadata.namespace must be "${NAMESPACE}"`);

  const podSpec = podSpecOf(doc);
  if (podSpec) {
    const spec = doc.spec as Record<string, unknown>;
    const selector = isRecord(spec.selector) && isRecord(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
    const template = spec.template as Record<string, unknown>;
    const labels = isRecord(template.metadata) && isRecord(template.metadata.labels) ? template.metadata.labels : {};
    // A Job's selector is generated by the API server; Deployments and StatefulSets must state theirs.
    if (Object.keys(selector).length === 0 && key !== 'batch/v1/Job') problems.push(`${where}: spec.selector.matchLabels must not be empty`);
    for (const [label, value] of Object.entries(selector)) {
      if (labels[label] !== value) problems.push(`${where}: the pod template lacks selector label ${label}=${String(value)}`);
    }
    for (const [i, container] of (Array.isArray(podSpec.containers) ? podSpec.containers : []).entries()) {
      if (!isRecord(container)) continue;
      const at = `${where}: containers[${i}]`;
      for (const port of Array.isArray(container.ports) ? container.ports : []) {
        if (isRecord(port) && !isPort(port.containerPort)) problems.push(`${at}.ports containerPort ${String(port.containerPort)} is not in 1..65535`);
      }
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        if (container[probe] !== undefined) problems.push(...checkProbe(container[probe], `${at}.${probe}`));
      }
    }
    for (const volume of Array.isArray(podSpec.volumes) ? podSpec.volumes : []) {
      // kubectl reads YAML 1.1, where 0440 is octal; YAML 1.2 readers see decimal 440 (= 0o670).
      // Writing modes in decimal (0o440 = 288) means the same everywhere; this catches the slip.
      const mode = isRecord(volume) && isRecord(volume.secret) ? volume.secret.defaultMode : undefined;
      if (mode === undefined) continue;
      if (!Number.isInteger(mode) || (mode as number) < 0 || (mode as number) > 0o777) {
        problems.push(`${where}: volume defaultMode ${String(mode)} is not a file mode (0..511; write 0o440 as 288)`);
      } else if (((mode as number) & 0o027) !== 0) {
        problems.push(`${where}: volume defaultMode ${String(mode)} (0o${(mode as number).toString(8)}) lets group write or others read a Secret (0o440 is 288)`);
      }
    }
  }

  if (key === 'v1/Service' && isRecord(doc.spec)) {
    for (const port of Array.isArray(doc.spec.ports) ? doc.spec.ports : []) {
      if (!isRecord(port)) continue;
      if (!isPort(port.port)) problems.push(`${where}: port ${String(port.port)} is not in 1..65535`);
      if (port.targetPort !== undefined && typeof port.targetPort !== 'string' && !isPort(port.targetPort)) {
        problems.push(`${where}: targetPort ${String(port.targetPort)} is not in 1..65535`);
      }
    }
    if (!isRecord(doc.spec.selector) || Object.keys(doc.spec.selector).length === 0) problems.push(`${where}: spec.selector must not be empty`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Consistency with the apps
// ---------------------------------------------------------------------------------------------------

/** Label telling app workloads from infrastructure; every workload must carry one of the two. */
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const APP_COMPONENT = 'service';
export const INFRA_COMPONENT = 'infrastructure';

function labelsOf(doc: Manifest): Record<string, unknown> {
  return isRecord(doc.metadata) && isRecord(doc.metadata.labels) ? doc.metadata.labels : {};
}

function nameOf(doc: Manifest): string {
  return isRecord(doc.metadata) ? String(doc.metadata.name) : '';
}

function ofKind(docs: readonly unknown[], key: string): Manifest[] {
  return docs.filter((d): d is Manifest => kindKey(d) === key);
}

function appContainer(deployment: Manifest, service: string): Record<string, unknown> | undefined {
  const containers = podSpecOf(deployment)?.containers;
  return Array.isArray(containers) ? (containers.find((c) => isRecord(c) && c.name === service) as Record<string, unknown> | undefined) : undefined;
}

/** Literal env of a container: name → value (null when it comes from valueFrom). */
function containerEnv(container: Record<string, unknown>): Map<string, string | null> {
  const env = new Map<string, string | null>();
  for (const item of Array.isArray(container.env) ? container.env : []) {
    if (isRecord(item)) env.set(String(item.name), item.value === undefined ? null : String(item.value));
  }
  return env;
}

/** The names a container gets: its env, plus every key of the ConfigMaps/Secrets in its envFrom. */
function containerEnvNames(container: Record<string, unknown>, docs: readonly unknown[]): { names: string[]; problems: string[] } {
  const names = [...containerEnv(container).keys()];
  const problems: string[] = [];
  for (const source of Array.isArray(container.envFrom) ? container.envFrom : []) {
    if (!isRecord(source)) continue;
    if (source.prefix !== undefined) problems.push(`envFrom.prefix renames variables; not allowed (names must match the documented list)`);
    for (const [ref, kind] of [['configMapRef', 'v1/ConfigMap'], ['secretRef', 'v1/Secret']] as const) {
      if (!isRecord(source[ref])) continue;
      const target = ofKind(docs, kind).find((d) => nameOf(d) === (source[ref] as Record<string, unknown>).name);
      if (!target) problems.push(`envFrom.${ref} names "${String((source[ref] as Record<string, unknown>).name)}", which is not among the manifests`);
      else names.push(...Object.keys({ ...(isRecord(target.data) ? target.data : {}), ...(isRecord(target.stringData) ? target.stringData : {}) }));
    }
  }
  return { names, problems };
}

/**
 * The platform's health endpoints (libs/platform/src/health): readiness asks whether the database
 * and NATS answer, liveness only whether the process does (so an outage restarts nothing).
 */
export const READINESS_PATH = '/health/ready';
export const LIVENESS_PATH = '/health/live';

function checkAppProbe(probe: unknown, path: string, port: number, where: string): string[] {
  if (!isRecord(probe) || !isRecord(probe.httpGet)) return [`${where} must be an httpGet probe on ${path}`];
  const problems: string[] = [];
  if (probe.httpGet.path !== path) problems.push(`${where}.httpGet.path must be ${path}, got ${JSON.stringify(probe.httpGet.path)}`);
  if (probe.httpGet.port !== port) problems.push(`${where}.httpGet.port must be ${port}, got ${JSON.stringify(probe.httpGet.port)}`);
  return problems;
}

/** One Deployment + one Service per app, with the app's port, database, probes and image. */
export function checkK8sApps(docs: readonly unknown[], apps: readonly AppService[]): string[] {
  const problems: string[] = [];
  const deployments = ofKind(docs, 'apps/v1/Deployment');
  const workloads = [...deployments, ...ofKind(docs, 'apps/v1/StatefulSet')];
  for (const w of workloads) {
    const component = labelsOf(w)[COMPONENT_LABEL];
    if (component !== APP_COMPONENT && component !== INFRA_COMPONENT) {
      problems.push(`${kindKey(w)} ${nameOf(w)}: label ${COMPONENT_LABEL} must be "${APP_COMPONENT}" or "${INFRA_COMPONENT}"`);
    }
  }
  const appDeployments = deployments.filter((d) => labelsOf(d)[COMPONENT_LABEL] === APP_COMPONENT);
  const inK8s = appDeployments.map(nameOf).sort();
  const expected = apps.map((a) => a.service).sort();
  for (const name of expected.filter((n) => !inK8s.includes(n))) problems.push(`apps/${name} has no Deployment (with ${COMPONENT_LABEL}: ${APP_COMPONENT}) in k8s/`);
  for (const name of inK8s.filter((n) => !expected.includes(n))) problems.push(`Deployment ${name} is an app service but there is no apps/${name}/package.json with an "eventshop" block`);
  for (const w of workloads.filter((w) => labelsOf(w)[COMPONENT_LABEL] !== APP_COMPONENT && expected.includes(nameOf(w)))) {
    problems.push(`${kindKey(w)} ${nameOf(w)} is an app but is not labelled ${COMPONENT_LABEL}: ${APP_COMPONENT}`);
  }

  for (const app of apps) {
    const deployment = appDeployments.find((d) => nameOf(d) === app.service);
    if (!deployment) continue;
    const where = `Deployment ${app.service}`;
    const container = appContainer(deployment, app.service);
    if (!container) {
      problems.push(`${where} must have a container named ${app.service}`);
      continue;
    }
    if (typeof container.image !== 'string' || !container.image.startsWith(`eventshop/${app.service}:`)) {
      problems.push(`${where}: image must be eventshop/${app.service}:<tag> (what the Dockerfile builds with SERVICE=${app.service}), got ${JSON.stringify(container.image)}`);
    }
    const ports = (Array.isArray(container.ports) ? container.ports : []).filter(isRecord);
    if (ports.length !== 1 || ports[0]?.containerPort !== app.port) {
      problems.push(`${where}: must declare exactly containerPort ${app.port}, got ${JSON.stringify(ports.map((p) => p.containerPort))}`);
    }
    const env = containerEnv(container);
    if (env.get('PORT') !== String(app.port)) problems.push(`${where}: env PORT must be "${app.port}", got ${JSON.stringify(env.get('PORT'))}`);
    if (app.database === undefined) {
      if (env.has('DATABASE_NAME')) problems.push(`${where}: env DATABASE_NAME is set, but apps/${app.service} owns no database`);
    } else if (env.get('DATABASE_NAME') !== app.database) {
      problems.push(`${where}: env DATABASE_NAME must be "${app.database}", got ${JSON.stringify(env.get('DATABASE_NAME'))}`);
    }
    // Found by a Prometheus that discovers pods by annotation: the app's port, its /metrics.
    const podAnnotations = ((deployment.spec as Manifest).template as Manifest).metadata as Manifest | undefined;
    const scrape = isRecord(podAnnotations?.annotations) ? podAnnotations.annotations : {};
    const wanted = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(app.port), 'prometheus.io/path': '/metrics' };
    for (const [key, value] of Object.entries(wanted)) {
      if (scrape[key] !== value) problems.push(`${where}: pod annotation ${key} must be "${value}", got ${JSON.stringify(scrape[key])}`);
    }
    problems.push(...checkAppProbe(container.readinessProbe, READINESS_PATH, app.port, `${where}: readinessProbe`));
    problems.push(...checkAppProbe(container.livenessProbe, LIVENESS_PATH, app.port, `${where}: livenessProbe`));
    const resources = isRecord(container.resources) ? container.resources : {};
    for (const part of ['requests', 'limits']) {
      const values = isRecord(resources[part]) ? resources[part] : {};
      if (values.memory === undefined) problems.push(`${where}: resources.${part}.memory must be set`);
    }
    if (!isRecord(resources.requests) || resources.requests.cpu === undefined) problems.push(`${where}: resources.requests.cpu must be set`);

    const services = ofKind(docs, 'v1/Service').filter((s) => nameOf(s) === app.service);
    if (services.length !== 1) {
      problems.push(`apps/${app.service} needs exactly one Service named ${app.service}, found ${services.length}`);
      continue;
    }
    const service = services[0] as Manifest;
    const spec = isRecord(service.spec) ? service.spec : {};
    const servicePorts = (Array.isArray(spec.ports) ? spec.ports : []).filter(isRecord);
    if (!servicePorts.some((p) => p.port === app.port && p.targetPort === app.port)) {
      problems.push(`Service ${app.service}: must expose port ${app.port} with targetPort ${app.port}, got ${JSON.stringify(servicePorts)}`);
    }
    // The Service must select this Deployment's pods (and only match on labels the pods have).
    const podLabels = (((deployment.spec as Manifest).template as Manifest).metadata as Manifest | undefined)?.labels;
    const selector = isRecord(spec.selector) ? spec.selector : {};
    if (Object.keys(selector).length === 0 || !Object.entries(selector).every(([k, v]) => isRecord(podLabels) && podLabels[k] === v)) {
      problems.push(`Service ${app.service}: selector ${JSON.stringify(selector)} does not select the ${app.service} pods`);
    }
  }
  return problems;
}

/** Only documented variables (per service), shared ConfigMap holds shared ones only, no literal secrets. */
export function checkK8sEnv(docs: readonly unknown[]): string[] {
  const problems: string[] = [];
  for (const deployment of ofKind(docs, 'apps/v1/Deployment').filter((d) => labelsOf(d)[COMPONENT_LABEL] === APP_COMPONENT)) {
    const service = nameOf(deployment);
    const allowed = allowedEnvFor(service);
    for (const container of (podSpecOf(deployment)?.containers as unknown[] | undefined) ?? []) {
      if (!isRecord(container)) continue;
      const { names, problems: envFromProblems } = containerEnvNames(container, docs);
      problems.push(...envFromProblems.map((p) => `Deployment ${service}: ${p}`));
      for (const name of names) if (!allowed.has(name)) problems.push(`Deployment ${service}: env ${name} is not a documented variable for ${service}`);
      for (const [name, value] of containerEnv(container)) {
        if (SECRET_ENV.has(name) && value !== null && value !== '') problems.push(`Deployment ${service}: env ${name} is a secret and must not be a literal`);
      }
    }
  }
  // A ConfigMap that apps load with envFrom is shared by every app, so it may only hold the shared
  // variables (others, like the NATS server's config file, are mounted files, not environment).
  const shared = new Set<string>(SHARED_ENV);
  const envFromConfigMaps = new Set(
    ofKind(docs, 'apps/v1/Deployment').flatMap((d) =>
      ((podSpecOf(d)?.containers as unknown[] | undefined) ?? [])
        .filter(isRecord)
        .flatMap((c) => (Array.isArray(c.envFrom) ? c.envFrom : []).filter(isRecord))
        .map((source) => (isRecord(source.configMapRef) ? String(source.configMapRef.name) : undefined)),
    ),
  );
  for (const configMap of ofKind(docs, 'v1/ConfigMap').filter((c) => envFromConfigMaps.has(nameOf(c)))) {
    for (const key of Object.keys(isRecord(configMap.data) ? configMap.data : {})) {
      if (!shared.has(key)) problems.push(`ConfigMap ${nameOf(configMap)}: ${key} is not a shared documented variable`);
      if (SECRET_ENV.has(key)) problems.push(`ConfigMap ${nameOf(configMap)}: ${key} is a secret; use a Secret`);
    }
  }
  return problems;
}

/**
 * The JWT keys: the signing (private) key is mounted into user-service only, every app gets the
 * public key by file, and no manifest outside the Secret examples carries PEM text.
 */
export function checkK8sSecrets(docs: readonly unknown[], signingSecret: string, signingService = 'user-service'): string[] {
  const problems: string[] = [];
  for (const doc of docs) {
    if (kindKey(doc) === 'v1/Secret') continue;
    problems.push(...findPemText(doc).map((hit) => `${kindKey(doc)} ${nameOf(doc as Manifest)}: PEM text at ${hit}`));
  }
  for (const workload of [...ofKind(docs, 'apps/v1/Deployment'), ...ofKind(docs, 'apps/v1/StatefulSet')]) {
    const volumes = podSpecOf(workload)?.volumes;
    const usesSigning = (Array.isArray(volumes) ? volumes : []).some(
      (v) => isRecord(v) && ((isRecord(v.secret) && v.secret.secretName === signingSecret) || JSON.stringify(v.projected ?? '').includes(`"${signingSecret}"`)),
    );
    const envRefs = JSON.stringify(podSpecOf(workload)?.containers ?? []).includes(`"${signingSecret}"`);
    if ((usesSigning || envRefs) && nameOf(workload) !== signingService) {
      problems.push(`${kindKey(workload)} ${nameOf(workload)} must not see Secret ${signingSecret} (only ${signingService} signs tokens)`);
    }
  }
  return problems;
}

/** Placeholder check for the example Secret file: string values only, none of them a real key. */
export function checkSecretExample(docs: readonly unknown[]): string[] {
  const problems: string[] = [];
  for (const doc of docs) {
    if (kindKey(doc) !== 'v1/Secret') {
      problems.push(`the Secret example may only contain Secrets, found ${kindKey(doc)}`);
      continue;
    }
    const secret = doc as Manifest;
    if (secret.data !== undefined) problems.push(`Secret ${nameOf(secret)}: use stringData with readable placeholders, not base64 data`);
    for (const [key, value] of Object.entries(isRecord(secret.stringData) ? secret.stringData : {})) {
      if (findPemText(value).length > 0 || !/REPLACE/i.test(String(value))) {
        problems.push(`Secret ${nameOf(secret)}: ${key} must be an obvious placeholder (containing "REPLACE"), not a key`);
      }
    }
  }
  return problems;
}

/** Every Secret and ConfigMap a workload uses is defined: applied ones, or (Secrets) in the example. */
export function checkReferences(applied: readonly unknown[], secretExamples: readonly unknown[]): string[] {
  const problems: string[] = [];
  const configMaps = new Set(ofKind(applied, 'v1/ConfigMap').map(nameOf));
  const secrets = new Set([...ofKind(applied, 'v1/Secret'), ...ofKind(secretExamples, 'v1/Secret')].map(nameOf));
  for (const workload of [...ofKind(applied, 'apps/v1/Deployment'), ...ofKind(applied, 'apps/v1/StatefulSet')]) {
    const podSpec = podSpecOf(workload) ?? {};
    const where = `${kindKey(workload)} ${nameOf(workload)}`;
    for (const volume of Array.isArray(podSpec.volumes) ? podSpec.volumes : []) {
      if (!isRecord(volume)) continue;
      if (isRecord(volume.secret) && !secrets.has(String(volume.secret.secretName))) problems.push(`${where}: Secret ${String(volume.secret.secretName)} is defined nowhere`);
      if (isRecord(volume.configMap) && !configMaps.has(String(volume.configMap.name))) problems.push(`${where}: ConfigMap ${String(volume.configMap.name)} is defined nowhere`);
    }
    // A pod's volumes, plus a StatefulSet's per-pod claims.
    const claimTemplates = isRecord(workload.spec) && Array.isArray(workload.spec.volumeClaimTemplates) ? workload.spec.volumeClaimTemplates : [];
    const volumes = new Set([
      ...(Array.isArray(podSpec.volumes) ? podSpec.volumes : []).filter(isRecord).map((v) => v.name),
      ...claimTemplates.filter(isRecord).map((t) => (isRecord(t.metadata) ? t.metadata.name : undefined)),
    ]);
    for (const container of Array.isArray(podSpec.containers) ? podSpec.containers : []) {
      if (!isRecord(container)) continue;
      const mounts = new Set((Array.isArray(container.volumeMounts) ? container.volumeMounts : []).filter(isRecord).map((m) => m.name));
      for (const mount of mounts) if (!volumes.has(mount)) problems.push(`${where}: volumeMount ${String(mount)} has no volume`);
      for (const source of Array.isArray(container.envFrom) ? container.envFrom : []) {
        if (isRecord(source) && isRecord(source.configMapRef) && !configMaps.has(String(source.configMapRef.name))) {
          problems.push(`${where}: envFrom ConfigMap ${String(source.configMapRef.name)} is defined nowhere`);
        }
      }
      for (const item of (Array.isArray(container.env) ? container.env : []).filter(isRecord)) {
        const from = isRecord(item.valueFrom) ? item.valueFrom : {};
        const secretRef = isRecord(from.secretKeyRef) ? from.secretKeyRef : undefined;
        const configRef = isRecord(from.configMapKeyRef) ? from.configMapKeyRef : undefined;
        if (secretRef && !secrets.has(String(secretRef.name))) problems.push(`${where}: env ${String(item.name)}: Secret ${String(secretRef.name)} is defined nowhere`);
        if (configRef && !configMaps.has(String(configRef.name))) problems.push(`${where}: env ${String(item.name)}: ConfigMap ${String(configRef.name)} is defined nowhere`);
      }
    }
  }
  return problems;
}

/**
 * Every *_FILE variable of an app points at a file that will exist: under one of the container's
 * mounts, whose volume is a Secret that has that key (looked up in the applied manifests and the
 * Secret examples). A wrong path is otherwise only found when the pod crashes.
 */
export function checkKeyFiles(applied: readonly unknown[], secretExamples: readonly unknown[]): string[] {
  const problems: string[] = [];
  const secrets = [...ofKind(applied, 'v1/Secret'), ...ofKind(secretExamples, 'v1/Secret')];
  const configMaps = ofKind(applied, 'v1/ConfigMap');
  for (const deployment of ofKind(applied, 'apps/v1/Deployment').filter((d) => labelsOf(d)[COMPONENT_LABEL] === APP_COMPONENT)) {
    const podSpec = podSpecOf(deployment) ?? {};
    const volumes = (Array.isArray(podSpec.volumes) ? podSpec.volumes : []).filter(isRecord);
    for (const container of (Array.isArray(podSpec.containers) ? podSpec.containers : []).filter(isRecord)) {
      const values = new Map<string, string | null>();
      for (const source of (Array.isArray(container.envFrom) ? container.envFrom : []).filter(isRecord)) {
        const ref = isRecord(source.configMapRef) ? source.configMapRef.name : undefined;
        const data = configMaps.find((c) => nameOf(c) === ref)?.data;
        for (const [k, v] of Object.entries(isRecord(data) ? data : {})) values.set(k, String(v));
      }
      for (const [k, v] of containerEnv(container)) values.set(k, v);
      const mounts = (Array.isArray(container.volumeMounts) ? container.volumeMounts : []).filter(isRecord);
      for (const [name, path] of values) {
        if (!name.endsWith('_FILE') || !path) continue;
        const where = `Deployment ${nameOf(deployment)}: ${name}=${path}`;
        const mount = mounts.find((m) => path.startsWith(`${String(m.mountPath).replace(/\/$/, '')}/`));
        const volume = mount && volumes.find((v) => v.name === mount.name);
        const secretName = volume && isRecord(volume.secret) ? volume.secret.secretName : undefined;
        if (!mount || secretName === undefined) {
          problems.push(`${where} is not inside a mounted Secret volume`);
          continue;
        }
        const secret = secrets.find((s) => nameOf(s) === secretName);
        const keys = Object.keys({ ...(isRecord(secret?.data) ? secret.data : {}), ...(isRecord(secret?.stringData) ? secret.stringData : {}) });
        const file = path.slice(String(mount.mountPath).replace(/\/$/, '').length + 1);
        // With `items`, only the listed keys are there, each at its own path.
        const items = volume && isRecord(volume.secret) && Array.isArray(volume.secret.items) ? volume.secret.items.filter(isRecord) : undefined;
        const key = items ? items.find((item) => item.path === file)?.key : file;
        if (key === undefined) problems.push(`${where}: the Secret volume's items put no key at ${file}`);
        else if (!keys.includes(String(key))) problems.push(`${where}: Secret ${String(secretName)} has no key ${String(key)} (has ${keys.join(', ') || 'none'})`);
      }
    }
  }
  return problems;
}
