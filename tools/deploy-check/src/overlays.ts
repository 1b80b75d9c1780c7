/**
 * The kustomize overlays (k8s/overlays/dev and prod), rendered with `kubectl kustomize` (offline: it
 * only reads files), and the production rules that span several manifests: pinned images,
 * disruption budgets, autoscaled consumers, and the NATS cluster that R3 streams need.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { busIdentitiesIn } from '@eventshop/messaging';
import { composeServices } from './compose.js';
import { isRecord, REPO_ROOT, type AppService } from './workspace.js';

type Manifest = Record<string, unknown>;

export const OVERLAYS = ['dev', 'prod'] as const;

/** The manifests `kubectl apply -k k8s/overlays/<overlay>` would apply. Throws when kubectl is missing or kustomize fails. */
export function renderOverlay(overlay: string, repoRoot: string = REPO_ROOT): unknown[] {
  const dir = join(repoRoot, 'k8s', 'overlays', overlay);
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
  if (result.error) throw new Error(`rendering ${dir} needs kubectl (kubectl kustomize): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout).map((doc) => doc.toJS() as unknown).filter((doc) => doc !== null);
}

/** The apps that consume events (a non-empty "eventshop.bus.consumes"): the ones worth autoscaling. */
export function consumerApps(repoRoot: string = REPO_ROOT): string[] {
  return busIdentitiesIn(join(repoRoot, 'apps'))
    .filter((identity) => Object.keys(identity.consumes ?? {}).length > 0)
    .map((identity) => identity.service);
}

const nameOf = (doc: Manifest) => String((doc.metadata as Manifest | undefined)?.name ?? '');
const kindOf = (doc: unknown) => (isRecord(doc) ? `${String(doc.apiVersion)}/${String(doc.kind)}` : '');
const ofKind = (docs: readonly unknown[], key: string) => docs.filter((d): d is Manifest => kindOf(d) === key);
const listOf = (value: unknown) => (Array.isArray(value) ? value.filter(isRecord) : []);
const podSpec = (doc: Manifest) => ((doc.spec as Manifest | undefined)?.template as Manifest | undefined)?.spec as Manifest | undefined;
const podLabels = (doc: Manifest) => (((doc.spec as Manifest | undefined)?.template as Manifest | undefined)?.metadata as Manifest | undefined)?.labels;
const WORKLOADS = ['apps/v1/Deployment', 'apps/v1/StatefulSet', 'batch/v1/Job'];

/**
 * An image is pinned when it names a tag that is a version (starts with a digit, or a `v` and a
 * digit: `16.6`, `2.10.24-alpine`, `v3.5.0`) — or, for our own images, any explicit tag but `latest`, since they are built
 * and tagged by this repository (`dev` locally, the release in the prod overlay).
 */
export function imageProblem(image: unknown): string | undefined {
  if (typeof image !== 'string' || image === '') return 'has no image';
  if (image.includes('@sha256:')) return undefined;
  const tag = /:([^:/]+)$/.exec(image)?.[1];
  if (!tag) return `${image} has no tag (that means :latest)`;
  if (tag === 'latest') return `${image} uses :latest`;
  if (!image.startsWith('eventshop/') && !/^v?\d/.test(tag)) return `${image} is not pinned to a version tag`;
  return undefined;
}

/** Every container image of the rendered manifests. */
export function checkK8sImages(docs: readonly unknown[]): string[] {
  return WORKLOADS.flatMap((kind) => ofKind(docs, kind)).flatMap((workload) => {
    const spec = podSpec(workload) ?? {};
    return [...listOf(spec.initContainers), ...listOf(spec.containers)].flatMap((container) => {
      const problem = imageProblem(container.image);
      return problem ? [`${kindOf(workload)} ${nameOf(workload)}: container ${String(container.name)} ${problem}`] : [];
    });
  });
}

/** Every image of docker-compose.yml. */
export function checkComposeImages(doc: unknown): string[] {
  return Object.entries(composeServices(doc)).flatMap(([name, service]) => {
    const problem = imageProblem(service.image);
    return problem ? [`services.${name}.image ${problem}`] : [];
  });
}

function selects(selector: unknown, labels: unknown): boolean {
  const match = isRecord(selector) && isRecord(selector.matchLabels) ? selector.matchLabels : {};
  return Object.keys(match).length > 0 && isRecord(labels) && Object.entries(match).every(([k, v]) => labels[k] === v);
}

/**
 * prod: every app and NATS have a PodDisruptionBudget that selects their pods and lets a drain
 * proceed; every consumer has an HPA on its Deployment (at least 2 replicas), and that Deployment
 * leaves `replicas` to it.
 */
export function checkAvailability(docs: readonly unknown[], apps: readonly AppService[], consumers: readonly string[]): string[] {
  const problems: string[] = [];
  const budgets = ofKind(docs, 'policy/v1/PodDisruptionBudget');
  const workloads = [...ofKind(docs, 'apps/v1/Deployment'), ...ofKind(docs, 'apps/v1/StatefulSet')];
  for (const name of [...apps.map((a) => a.service), 'nats']) {
    const workload = workloads.find((w) => nameOf(w) === name);
    if (!workload) continue;
    const mine = budgets.filter((b) => selects((b.spec as Manifest | undefined)?.selector, podLabels(workload)));
    if (mine.length !== 1) {
      problems.push(`${kindOf(workload)} ${name} needs exactly one PodDisruptionBudget selecting its pods, has ${mine.length}`);
      continue;
    }
    const spec = (mine[0] as Manifest).spec as Manifest;
    const replicas = Number((workload.spec as Manifest).replicas ?? 1);
    // A budget that allows no eviction blocks every node drain.
    if (spec.maxUnavailable === 0 || (typeof spec.minAvailable === 'number' && spec.minAvailable >= replicas && !consumers.includes(name))) {
      problems.push(`PodDisruptionBudget ${nameOf(mine[0] as Manifest)} allows no voluntary eviction of ${name} (${replicas} replicas)`);
    }
  }
  const autoscalers = ofKind(docs, 'autoscaling/v2/HorizontalPodAutoscaler');
  for (const consumer of consumers) {
    const deployment = ofKind(docs, 'apps/v1/Deployment').find((d) => nameOf(d) === consumer);
    if (!deployment) continue;
    const mine = autoscalers.filter((h) => {
      const target = (h.spec as Manifest | undefined)?.scaleTargetRef;
      return isRecord(target) && target.kind === 'Deployment' && target.apiVersion === 'apps/v1' && target.name === consumer;
    });
    if (mine.length !== 1) {
      problems.push(`Deployment ${consumer} consumes events and needs exactly one HorizontalPodAutoscaler, has ${mine.length}`);
      continue;
    }
    const spec = (mine[0] as Manifest).spec as Manifest;
    if (!(Number(spec.minReplicas) >= 2)) problems.push(`HorizontalPodAutoscaler ${nameOf(mine[0] as Manifest)}: minReplicas must be at least 2 (one pod is no consumer group)`);
    if (!(Number(spec.maxReplicas) >= Number(spec.minReplicas))) problems.push(`HorizontalPodAutoscaler ${nameOf(mine[0] as Manifest)}: maxReplicas below minReplicas`);
    if ((deployment.spec as Manifest).replicas !== undefined) problems.push(`Deployment ${consumer} sets replicas, which its HorizontalPodAutoscaler owns (every apply would reset it)`);
  }
  return problems;
}

/**
 * NATS: the streams' replicas (NATS_STREAM_REPLICAS in eventshop-config) match the servers; more
 * than one server is a real JetStream cluster — a name per pod, one cluster name, a route to every
 * pod through a headless Service that publishes not-ready pods, all pods started in parallel.
 */
export function checkNatsCluster(docs: readonly unknown[]): string[] {
  const problems: string[] = [];
  const nats = ofKind(docs, 'apps/v1/StatefulSet').find((s) => nameOf(s) === 'nats');
  if (!nats) return ['StatefulSet nats is missing'];
  const spec = nats.spec as Manifest;
  const servers = Number(spec.replicas ?? 1);
  const config = ofKind(docs, 'v1/ConfigMap').find((c) => nameOf(c) === 'eventshop-config');
  const replicas = Number((config?.data as Manifest | undefined)?.NATS_STREAM_REPLICAS ?? 1);
  if (replicas !== Math.min(servers, 5)) problems.push(`eventshop-config NATS_STREAM_REPLICAS is ${replicas}, but NATS runs ${servers} server(s): streams should be on all of them (R${Math.min(servers, 5)})`);
  if (servers === 1) return problems;
  if (servers % 2 === 0) problems.push(`StatefulSet nats runs ${servers} servers: an even count adds no fault tolerance to the JetStream quorum`);
  if (spec.podManagementPolicy !== 'Parallel') problems.push('StatefulSet nats must use podManagementPolicy: Parallel (OrderedReady waits for nats-0 to be ready, which needs a quorum)');
  const container = listOf(podSpec(nats)?.containers).find((c) => c.name === 'nats') ?? {};
  const args = Array.isArray(container.args) ? container.args.map(String) : [];
  const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const podName = listOf(container.env).find((e) => e.name === 'POD_NAME');
  if (flag('--server_name') !== '$(POD_NAME)' || (podName?.valueFrom as Manifest | undefined)?.fieldRef === undefined) {
    problems.push('StatefulSet nats: each server needs its own name (--server_name $(POD_NAME), POD_NAME from metadata.name)');
  }
  if (!flag('--cluster_name')) problems.push('StatefulSet nats needs --cluster_name');
  const clusterPort = Number(/:(\d+)$/.exec(flag('--cluster') ?? '')?.[1]);
  if (!clusterPort) problems.push('StatefulSet nats needs --cluster nats://0.0.0.0:<port>');
  const governing = ofKind(docs, 'v1/Service').find((s) => nameOf(s) === spec.serviceName);
  const service = (governing?.spec ?? {}) as Manifest;
  if (!governing || service.clusterIP !== 'None' || service.publishNotReadyAddresses !== true || !selects({ matchLabels: service.selector }, podLabels(nats))) {
    problems.push(`StatefulSet nats: serviceName ${String(spec.serviceName)} must be a headless Service with publishNotReadyAddresses selecting the nats pods (routes resolve before a quorum exists)`);
  }
  const expected = Array.from({ length: servers }, (_, i) => `nats://nats-${i}.${String(spec.serviceName)}:${clusterPort}`);
  const routes = (flag('--routes') ?? '').split(',').filter(Boolean);
  if (routes.sort().join() !== expected.join()) problems.push(`StatefulSet nats --routes must be ${expected.join(',')}, got ${routes.join(',') || 'none'}`);
  return problems;
}
