/**
 * The production-shaped deployment: both kustomize overlays rendered and checked like the base (the
 * Kubernetes schemas, the API rules, consistency with the apps), plus the rules of this issue —
 * PostgreSQL roles per service, pinned images, disruption budgets, autoscaled consumers, a NATS
 * cluster for R3 streams. Each rule also runs on a broken copy, to prove it can fail.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { checkKeyFiles, checkK8sApps, checkK8sEnv, checkK8sSecrets, checkReferences, checkStructure, kindKey, validateManifest } from './k8s.js';
import { checkK8sNats, checkNetworkPolicies, expectedNatsUsers } from './nats-auth.js';
import { checkAvailability, checkComposeImages, checkK8sImages, checkNatsCluster, consumerApps, imageProblem, OVERLAYS, renderOverlay } from './overlays.js';
import { checkComposePostgres, checkK8sPostgres, initScript } from './postgres-roles.js';
import { discoverApps, readYaml, readYamlDocuments, REPO_ROOT } from './workspace.js';

// Parsed YAML that the negative tests reach into and break at will.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

const apps = discoverApps();
const consumers = consumerApps();
const users = expectedNatsUsers();
const script = initScript();
const BASE = join(REPO_ROOT, 'k8s', 'base');
const secretExamples = readdirSync(BASE)
  .filter((f) => f.endsWith('.secret.example.yaml'))
  .flatMap((f) => readYamlDocuments(join(BASE, f)));
const rendered = Object.fromEntries(OVERLAYS.map((overlay) => [overlay, renderOverlay(overlay) as Doc[]]));
const compose = readYaml(join(REPO_ROOT, 'docker-compose.yml')) as Doc;

const find = (docs: Doc[], kind: string, name: string) => {
  const doc = docs.find((d) => kindKey(d) === kind && d.metadata?.name === name);
  if (!doc) throw new Error(`test setup: no ${kind} ${name}`);
  return doc;
};
/** A deep copy of an overlay's manifests with `change` applied. */
const brokenRender = (overlay: string, change: (docs: Doc[]) => void): Doc[] => {
  const docs = structuredClone(rendered[overlay]) as Doc[];
  change(docs);
  return docs;
};
const container = (d: Doc) => d.spec.template.spec.containers[0];
const env = (d: Doc, name: string) => container(d).env.find((e: Doc) => e.name === name);

describe.each(OVERLAYS)('k8s/overlays/%s, rendered by kubectl kustomize', (overlay) => {
  const docs = rendered[overlay] as Doc[];

  it('renders, into the namespace eventshop', () => {
    expect(docs.length).toBeGreaterThan(20);
  });

  it('every manifest is valid for its kind (Kubernetes OpenAPI schema, unknown fields, API rules)', () => {
    const problems = docs.flatMap((doc) => [...validateManifest(doc), ...checkStructure(doc)]);
    expect(problems).toEqual([]);
  });

  it('agrees with the apps: ports, variables, probes, references, key files, NATS identities, network policies', () => {
    expect([
      ...checkK8sApps(docs, apps),
      ...checkK8sEnv(docs),
      ...checkReferences(docs, secretExamples),
      ...checkKeyFiles(docs, secretExamples),
      ...checkK8sSecrets(docs, 'eventshop-jwt-signing'),
      ...checkK8sNats(docs, secretExamples, apps, users),
      ...checkNetworkPolicies(docs, apps),
    ]).toEqual([]);
  });

  it('one PostgreSQL role per service, images pinned, NATS streams replicated on every server', () => {
    expect([...checkK8sPostgres(docs, secretExamples, apps, script), ...checkK8sImages(docs), ...checkNatsCluster(docs)]).toEqual([]);
  });
});

describe('k8s/overlays/prod: availability', () => {
  const prod = rendered.prod as Doc[];

  it('runs NATS as a 3-node JetStream cluster with R3 streams', () => {
    expect(find(prod, 'apps/v1/StatefulSet', 'nats').spec.replicas).toBe(3);
    expect(find(prod, 'v1/ConfigMap', 'eventshop-config').data.NATS_STREAM_REPLICAS).toBe('3');
    expect(find(rendered.dev as Doc[], 'v1/ConfigMap', 'eventshop-config').data.NATS_STREAM_REPLICAS).toBe('1');
  });

  it('has disruption budgets for every app and NATS, and an autoscaler per consumer', () => {
    expect(consumers.length).toBeGreaterThan(0);
    expect(checkAvailability(prod, apps, consumers)).toEqual([]);
  });

  it.each<[string, (docs: Doc[]) => void, RegExp]>([
    ['a missing budget', (docs) => docs.splice(docs.indexOf(find(docs, 'policy/v1/PodDisruptionBudget', 'order-service')), 1), /Deployment order-service needs exactly one PodDisruptionBudget/],
    ['a budget that blocks every drain', (docs) => (find(docs, 'policy/v1/PodDisruptionBudget', 'nats').spec = { maxUnavailable: 0, selector: { matchLabels: { 'app.kubernetes.io/name': 'nats' } } }), /allows no voluntary eviction of nats/],
    ['a consumer without an autoscaler', (docs) => docs.splice(docs.indexOf(find(docs, 'autoscaling/v2/HorizontalPodAutoscaler', 'email-service')), 1), /email-service consumes events and needs exactly one HorizontalPodAutoscaler/],
    ['an autoscaler down to one pod', (docs) => (find(docs, 'autoscaling/v2/HorizontalPodAutoscaler', 'email-service').spec.minReplicas = 1), /minReplicas must be at least 2/],
    ['replicas fixed under an autoscaler', (docs) => (find(docs, 'apps/v1/Deployment', 'order-service').spec.replicas = 2), /order-service sets replicas, which its HorizontalPodAutoscaler owns/],
  ])('fails with %s', (_label, change, message) => {
    expect(checkAvailability(brokenRender('prod', change), apps, consumers).join('\n')).toMatch(message);
  });

  const nats = (docs: Doc[]) => find(docs, 'apps/v1/StatefulSet', 'nats');
  const args = (docs: Doc[]) => container(nats(docs)).args as string[];
  it.each<[string, (docs: Doc[]) => void, RegExp]>([
    ['R1 streams on three servers', (docs) => (find(docs, 'v1/ConfigMap', 'eventshop-config').data.NATS_STREAM_REPLICAS = '1'), /NATS_STREAM_REPLICAS is 1, but NATS runs 3 server/],
    ['a route missing', (docs) => (args(docs)[args(docs).indexOf('--routes') + 1] = 'nats://nats-0.nats-cluster:6222,nats://nats-1.nats-cluster:6222'), /--routes must be/],
    ['ordered start (deadlocks on the quorum)', (docs) => delete nats(docs).spec.podManagementPolicy, /podManagementPolicy: Parallel/],
    ['one name for every server', (docs) => (args(docs)[args(docs).indexOf('--server_name') + 1] = 'nats'), /its own name/],
    ['routes through a Service that hides not-ready pods', (docs) => delete find(docs, 'v1/Service', 'nats-cluster').spec.publishNotReadyAddresses, /publishNotReadyAddresses/],
    ['an even cluster', (docs) => (nats(docs).spec.replicas = 4), /even count/],
  ])('the NATS cluster check fails with %s', (_label, change, message) => {
    expect(checkNatsCluster(brokenRender('prod', change)).join('\n')).toMatch(message);
  });

  it('the network policy check fails when a service may reach the NATS routes', () => {
    const open = brokenRender('prod', (docs) => find(docs, 'networking.k8s.io/v1/NetworkPolicy', 'nats-routes').spec.ingress.push({ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/component': 'service' } } }], ports: [{ protocol: 'TCP', port: 6222 }] }));
    expect(checkNetworkPolicies(open, apps).join('\n')).toMatch(/nats must accept only the services .* not .*component.* on 6222/);
  });
});

describe('pinned images', () => {
  it.each([
    ['postgres:16.6', undefined],
    ['nats:2.10.24-alpine', undefined],
    ['eventshop/user-service:dev', undefined],
    ['prom/prometheus:v3.5.0', undefined],
    ['prom/prometheus:vintage', /not pinned to a version tag/],
    ['maildev/maildev:latest', /uses :latest/],
    ['maildev/maildev', /has no tag/],
    ['registry.local:5000/maildev', /has no tag/],
    ['nats:alpine', /not pinned to a version tag/],
  ])('%s', (image, problem) => {
    if (problem) expect(imageProblem(image)).toMatch(problem);
    else expect(imageProblem(image)).toBeUndefined();
  });

  it('docker-compose.yml and both overlays pin every image; a :latest fails each check', () => {
    expect(checkComposeImages(compose)).toEqual([]);
    const latest = structuredClone(compose);
    latest.services.maildev.image = 'maildev/maildev:latest';
    expect(checkComposeImages(latest)).toEqual(['services.maildev.image maildev/maildev:latest uses :latest']);
    const untagged = brokenRender('prod', (docs) => (container(find(docs, 'apps/v1/StatefulSet', 'postgres')).image = 'postgres'));
    expect(checkK8sImages(untagged).join('\n')).toMatch(/StatefulSet postgres: container postgres postgres has no tag/);
  });
});

describe('PostgreSQL: one role per service', () => {
  it('docker-compose.yml: each app as its own role with its own password; the server runs the init script, trusting nobody', () => {
    expect(checkComposePostgres(compose, apps)).toEqual([]);
  });

  it.each<[string, (d: Doc) => void, RegExp]>([
    ['an app as the superuser', (d) => (d.services['order-service'].environment.POSTGRES_URL = 'postgres://postgres@postgres:5432'), /order-service.environment.POSTGRES_URL must connect as the role order_service/],
    ["an app with another's role", (d) => (d.services['order-service'].environment.POSTGRES_URL = 'postgres://email_service@postgres:5432'), /must connect as the role order_service/],
    ["another service's password mounted", (d) => (d.services['order-service'].volumes = d.services['order-service'].volumes.map((v: string) => v.replace('postgres/order_service', 'postgres/email_service'))), /POSTGRES_PASSWORD_FILE must be in a mount of .\/.dev-keys\/postgres\/order_service/],
    ['a trusting server', (d) => (d.services.postgres.environment.POSTGRES_HOST_AUTH_METHOD = 'trust'), /must not trust connections/],
    ['a database missing from the init list', (d) => (d.services.postgres.environment.SERVICE_DATABASES = 'user_service'), /SERVICE_DATABASES must list the apps' databases/],
    ['the init script not mounted', (d) => (d.services.postgres.volumes = d.services.postgres.volumes.filter((v: string) => !v.includes('init-service-roles'))), /must mount .\/deploy\/postgres\/init-service-roles.sh/],
    ['a password dev-keys does not write', (d) => (d.services['dev-keys'].command[2] = d.services['dev-keys'].command[2].replace("'order_service', ", '')), /dev-keys writes PostgreSQL passwords for .*, but the roles are/],
  ])('docker-compose.yml fails with %s', (_label, change, message) => {
    const copy = structuredClone(compose);
    change(copy);
    expect(checkComposePostgres(copy, apps).join('\n')).toMatch(message);
  });

  it.each<[string, (docs: Doc[]) => void, RegExp]>([
    ['an app as the superuser', (docs) => (env(find(docs, 'apps/v1/Deployment', 'user-service'), 'POSTGRES_URL').value = 'postgres://postgres@postgres:5432'), /user-service: env POSTGRES_URL must connect as the role user_service/],
    ['an app mounting every password', (docs) => delete find(docs, 'apps/v1/Deployment', 'user-service').spec.template.spec.volumes.find((v: Doc) => v.name === 'postgres-password').secret.items, /must mount only its own PostgreSQL password \(user_service\), mounts every key/],
    ['the init script edited in one place only', (docs) => (find(docs, 'v1/ConfigMap', 'eventshop-postgres-init').data['10-service-roles.sh'] += '\n# drift\n'), /must hold exactly deploy\/postgres\/init-service-roles.sh, verbatim/],
    ['a trusting server', (docs) => container(find(docs, 'apps/v1/StatefulSet', 'postgres')).env.push({ name: 'POSTGRES_HOST_AUTH_METHOD', value: 'trust' }), /must not trust connections/],
    ['a database missing from the init list', (docs) => (env(find(docs, 'apps/v1/StatefulSet', 'postgres'), 'SERVICE_DATABASES').value = 'user_service'), /SERVICE_DATABASES must list/],
  ])('k8s fails with %s', (_label, change, message) => {
    expect(checkK8sPostgres(brokenRender('prod', change), secretExamples, apps, script).join('\n')).toMatch(message);
  });
});
