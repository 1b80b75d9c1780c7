/**
 * k8s/: every manifest against the Kubernetes OpenAPI schema of its kind (plus unknown fields and
 * the API server's structural rules), and the app Deployments/Services against apps/*. Each check
 * also runs on broken in-memory copies, to prove it can fail.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  checkKeyFiles,
  checkK8sApps,
  checkK8sEnv,
  checkK8sSecrets,
  checkReferences,
  checkSecretExample,
  checkStructure,
  kindKey,
  NAMESPACE,
  validateManifest,
} from './k8s.js';
import { discoverApps, isRecord, readYaml, readYamlDocuments, REPO_ROOT, type AppService } from './workspace.js';

const K8S_DIR = join(REPO_ROOT, 'k8s', 'base');
const KUSTOMIZATION = 'kustomization.yaml';
const SIGNING_SECRET = 'eventshop-jwt-signing';
const isExample = (file: string) => file.endsWith('.example.yaml');

const apps = discoverApps();
const manifestFiles = readdirSync(K8S_DIR)
  .filter((f) => /\.ya?ml$/.test(f) && f !== KUSTOMIZATION)
  .sort();
const docsByFile = new Map(manifestFiles.map((f) => [f, readYamlDocuments(join(K8S_DIR, f))]));
const kustomization = readYaml(join(K8S_DIR, KUSTOMIZATION)) as Record<string, unknown>;
const resources = Array.isArray(kustomization.resources) ? kustomization.resources.map(String) : [];
/** What `kubectl apply -k k8s/` applies. */
const applied = resources.flatMap((f) => docsByFile.get(f) ?? []);
const secretExamples = manifestFiles.filter(isExample).flatMap((f) => docsByFile.get(f) ?? []);

// Parsed YAML that the negative tests reach into and break at will; typing each path would only
// restate the manifests.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

/** Deep copy of the applied manifests with one changed by `change` (found by kind and name). */
function brokenSet(kind: string, name: string, change: (doc: Doc) => void): { docs: Doc[]; doc: Doc } {
  const docs = structuredClone(applied) as Doc[];
  const doc = docs.find((d) => kindKey(d) === kind && d.metadata?.name === name);
  if (!doc) throw new Error(`test setup: no ${kind} ${name}`);
  change(doc);
  return { docs, doc };
}
const broken = (kind: string, name: string, change: (doc: Doc) => void): Doc[] => brokenSet(kind, name, change).docs;
/** Just the changed manifest. */
const brokenDoc = (kind: string, name: string, change: (doc: Doc) => void): Doc => brokenSet(kind, name, change).doc;

const container = (d: Doc) => d.spec.template.spec.containers[0];
const env = (d: Doc, name: string) => container(d).env.find((e: Doc) => e.name === name);

describe('k8s/ files', () => {
  it('kustomization.yaml applies every manifest except the *.example.yaml ones, into the namespace', () => {
    expect(kindKey(kustomization)).toBe('kustomize.config.k8s.io/v1beta1/Kustomization');
    expect(kustomization.namespace).toBe(NAMESPACE);
    expect([...resources].sort()).toEqual(manifestFiles.filter((f) => !isExample(f)));
    for (const file of resources) expect(existsSync(join(K8S_DIR, file))).toBe(true);
  });

  it('has a Secret example, and no file that looks like a key or an env file', () => {
    expect(manifestFiles.filter(isExample)).toEqual(['jwt-keys.secret.example.yaml', 'nats-users.secret.example.yaml', 'newsletter-links.secret.example.yaml', 'postgres-passwords.secret.example.yaml', 'read-model-admin.secret.example.yaml']);
    const risky = readdirSync(K8S_DIR).filter((f) => /\.pem$|(^|\.)env$|^\.env/i.test(f) || (/private/i.test(f) && /key/i.test(f)));
    expect(risky).toEqual([]);
  });

  it('defines the namespace', () => {
    expect(applied.filter((d) => kindKey(d) === 'v1/Namespace').map((d) => (d as Doc).metadata.name)).toEqual([NAMESPACE]);
  });
});

describe('k8s/ manifests: Kubernetes OpenAPI schema and API rules', () => {
  const everyDoc = manifestFiles.flatMap((file) =>
    (docsByFile.get(file) ?? []).map((doc, i) => [`${file}#${i} ${kindKey(doc)} ${isRecord(doc) && isRecord(doc.metadata) ? String(doc.metadata.name) : ''}`, doc] as const),
  );

  it('there are manifests to check', () => {
    expect(everyDoc.length).toBeGreaterThan(10);
  });

  it.each(everyDoc)('%s is valid for its kind', (_label, doc) => {
    expect(validateManifest(doc)).toEqual([]);
    expect(checkStructure(doc)).toEqual([]);
  });

  const deployment = (name: string, change: (doc: Doc) => void) => brokenDoc('apps/v1/Deployment', name, change);
  it.each<[string, () => unknown, RegExp]>([
    ['an unknown kind', () => ({ apiVersion: 'apps/v1', kind: 'Deploymnt', metadata: { name: 'x' } }), /not a kind these manifests may use/],
    ['an apiVersion that does not serve the kind', () => deployment('user-service', (d) => (d.apiVersion = 'v1')), /not a kind these manifests may use/],
    ['a missing required field (selector)', () => deployment('user-service', (d) => delete d.spec.selector), /must have required property selector/],
    ['a string containerPort', () => deployment('user-service', (d) => (container(d).ports[0].containerPort = 'http')), /containerPort must be integer/],
    ['a misspelt probe field', () => deployment('user-service', (d) => (container(d).readinesProbe = container(d).readinessProbe)), /unknown field \.spec\.template\.spec\.containers\[0\]\.readinesProbe/],
    ['an unknown field deep in a probe', () => deployment('user-service', (d) => (container(d).livenessProbe.httpGet.url = '/health')), /unknown field .*livenessProbe\.httpGet\.url/],
    ['an unknown metadata field (apimachinery types)', () => deployment('user-service', (d) => (d.metadata.label = { a: 'b' })), /unknown field \.metadata\.label$/m],
    ['an unknown field in a volume claim template', () => brokenDoc('apps/v1/StatefulSet', 'nats', (d) => (d.spec.volumeClaimTemplates[0].spec.size = '1Gi')), /unknown field \.spec\.volumeClaimTemplates\[0\]\.spec\.size/],
    ['an unknown field in resources', () => deployment('user-service', (d) => (container(d).resources.limit = { cpu: '1' })), /unknown field .*resources\.limit$/m],
    ['a ConfigMap value that is not a string', () => brokenDoc('v1/ConfigMap', 'eventshop-config', (d) => (d.data.OUTBOX_BATCH_SIZE = 100)), /must be string/],
  ])('rejects %s', (_label, make, message) => {
    expect(validateManifest(make()).join('\n')).toMatch(message);
  });

  it.each<[string, () => unknown, RegExp]>([
    ['a containerPort out of range', () => deployment('email-service', (d) => (container(d).ports[0].containerPort = 70000)), /containerPort 70000 is not in 1..65535/],
    ['a probe with two handlers', () => deployment('email-service', (d) => (container(d).readinessProbe.tcpSocket = { port: 3002 })), /exactly one handler/],
    ['a probe port out of range', () => deployment('email-service', (d) => (container(d).livenessProbe.httpGet.port = 0)), /httpGet.port 0 is not in 1..65535/],
    ['a probe path without /', () => deployment('email-service', (d) => (container(d).livenessProbe.httpGet.path = 'health')), /path must start with \//],
    ['a zero periodSeconds', () => deployment('email-service', (d) => (container(d).livenessProbe.periodSeconds = 0)), /periodSeconds must be at least 1/],
    ['a key file mode written as YAML-1.1 octal (440 = 0o670)', () => deployment('email-service', (d) => (d.spec.template.spec.volumes[0].secret.defaultMode = 440)), /defaultMode 440 \(0o670\)/],
    ['a file mode beyond 0o777', () => deployment('email-service', (d) => (d.spec.template.spec.volumes[0].secret.defaultMode = 4000)), /defaultMode 4000 is not a file mode/],
    ['pod labels that miss the selector', () => deployment('email-service', (d) => (d.spec.template.metadata.labels = { app: 'x' })), /lacks selector label/],
    ['another namespace', () => deployment('email-service', (d) => (d.metadata.namespace = 'default')), /metadata.namespace must be "eventshop"/],
    ['a name that is not a DNS label', () => deployment('email-service', (d) => (d.metadata.name = 'Email_Service')), /DNS label/],
    ['a Service port out of range', () => brokenDoc('v1/Service', 'user-service', (d) => (d.spec.ports[0].port = 65536)), /port 65536 is not in 1..65535/],
  ])('rejects %s', (_label, make, message) => {
    expect(checkStructure(make()).join('\n')).toMatch(message);
  });
});

describe('k8s/ manifests: app Deployments and Services match apps/*', () => {
  it('has one Deployment + Service per app with its port, database, /health probes, image and resources', () => {
    expect(checkK8sApps(applied, apps)).toEqual([]);
  });

  it.each<[string, Doc[], RegExp]>([
    ['the Deployment removed', (structuredClone(applied) as Doc[]).filter((d) => !(kindKey(d) === 'apps/v1/Deployment' && d.metadata.name === 'email-service')), /apps\/email-service has no Deployment/],
    ['the Service removed', (structuredClone(applied) as Doc[]).filter((d) => !(kindKey(d) === 'v1/Service' && d.metadata.name === 'email-service')), /exactly one Service named email-service, found 0/],
    ['the app label removed', broken('apps/v1/Deployment', 'user-service', (d) => delete d.metadata.labels['app.kubernetes.io/component']), /label app.kubernetes.io\/component must be/],
    ['the wrong containerPort', broken('apps/v1/Deployment', 'user-service', (d) => (container(d).ports[0].containerPort = 8080)), /exactly containerPort 3001/],
    ['the wrong PORT', broken('apps/v1/Deployment', 'user-service', (d) => (env(d, 'PORT').value = '8080')), /env PORT must be "3001"/],
    ['the wrong DATABASE_NAME', broken('apps/v1/Deployment', 'user-service', (d) => (env(d, 'DATABASE_NAME').value = 'email_service')), /DATABASE_NAME must be "user_service"/],
    ['a readiness probe on another path', broken('apps/v1/Deployment', 'user-service', (d) => (container(d).readinessProbe.httpGet.path = '/health')), /readinessProbe.httpGet.path must be \/health\/ready/],
    ['a liveness probe that checks the dependencies', broken('apps/v1/Deployment', 'user-service', (d) => (container(d).livenessProbe.httpGet.path = '/health/ready')), /livenessProbe.httpGet.path must be \/health\/live/],
    ['a liveness probe on another port', broken('apps/v1/Deployment', 'user-service', (d) => (container(d).livenessProbe.httpGet.port = 3002)), /livenessProbe.httpGet.port must be 3001/],
    ['no liveness probe', broken('apps/v1/Deployment', 'user-service', (d) => delete container(d).livenessProbe), /livenessProbe must be an httpGet probe/],
    ['a scrape annotation on another port', broken('apps/v1/Deployment', 'user-service', (d) => (d.spec.template.metadata.annotations['prometheus.io/port'] = '3002')), /pod annotation prometheus.io\/port must be "3001"/],
    ['no scrape annotations', broken('apps/v1/Deployment', 'console', (d) => delete d.spec.template.metadata.annotations), /Deployment console: pod annotation prometheus.io\/scrape must be "true"/],
    ['no memory limit', broken('apps/v1/Deployment', 'user-service', (d) => delete container(d).resources.limits), /resources.limits.memory must be set/],
    ['the wrong image', broken('apps/v1/Deployment', 'user-service', (d) => (container(d).image = 'eventshop/email-service:dev')), /image must be eventshop\/user-service:<tag>/],
    ['a Service targeting another port', broken('v1/Service', 'user-service', (d) => (d.spec.ports[0].targetPort = 'http-alt')), /targetPort 3001/],
    ['a Service selecting other pods', broken('v1/Service', 'user-service', (d) => (d.spec.selector = { 'app.kubernetes.io/name': 'email-service' })), /does not select the user-service pods/],
  ])('fails with %s', (_label, docs, message) => {
    expect(checkK8sApps(docs, apps).join('\n')).toMatch(message);
  });

  it('fails when an app is added under apps/ without manifests', () => {
    // A made-up app, so this stays a negative test whatever apps/ holds.
    const more: AppService[] = [...apps, { service: 'example-service', port: 3999, database: 'example_service' }];
    expect(checkK8sApps(applied, more)).toContain('apps/example-service has no Deployment (with app.kubernetes.io/component: service) in k8s/');
  });

  it('fails when an app changes its database in package.json', () => {
    const renamed = apps.map((a) => (a.service === 'email-service' ? { ...a, database: 'mail' } : a));
    expect(checkK8sApps(applied, renamed).join('\n')).toMatch(/Deployment email-service: env DATABASE_NAME must be "mail"/);
  });
});

describe('k8s/ manifests: configuration and secrets', () => {
  it('apps use only documented variables; the shared ConfigMap only shared ones', () => {
    expect(checkK8sEnv(applied)).toEqual([]);
  });

  it.each<[string, Doc[], RegExp]>([
    ['an undocumented env', broken('apps/v1/Deployment', 'email-service', (d) => container(d).env.push({ name: 'SMTP_PASS', value: 'x' })), /env SMTP_PASS is not a documented variable/],
    ["another service's variable", broken('apps/v1/Deployment', 'email-service', (d) => container(d).env.push({ name: 'BCRYPT_COST', value: '10' })), /BCRYPT_COST is not a documented variable for email-service/],
    ['an undocumented ConfigMap key (reaches every app)', broken('v1/ConfigMap', 'eventshop-config', (d) => (d.data.NATS_TIMEOUT_MS = '5000')), /NATS_TIMEOUT_MS is not a (shared )?documented variable/],
    ['a tool-only variable on an app', broken('apps/v1/Deployment', 'email-service', (d) => container(d).env.push({ name: 'MAILDEV_WEB_PORT', value: '1080' })), /MAILDEV_WEB_PORT is not a documented variable for email-service/],
    ['a literal link secret', broken('apps/v1/Deployment', 'email-service', (d) => (env(d, 'NEWSLETTER_LINK_SECRET').value = 'x'.repeat(32))), /NEWSLETTER_LINK_SECRET is a secret/],
    ['a per-service variable in the shared ConfigMap', broken('v1/ConfigMap', 'eventshop-config', (d) => (d.data.SMTP_HOST = 'maildev')), /ConfigMap eventshop-config: SMTP_HOST is not a shared documented variable/],
    ['an envFrom prefix', broken('apps/v1/Deployment', 'user-service', (d) => (container(d).envFrom[0].prefix = 'APP_')), /envFrom.prefix renames variables/],
    ['a literal private key', broken('apps/v1/Deployment', 'user-service', (d) => container(d).env.push({ name: 'JWT_PRIVATE_KEY', value: 'x' })), /JWT_PRIVATE_KEY is a secret/],
  ])('fails with %s', (_label, docs, message) => {
    expect(checkK8sEnv(docs).join('\n')).toMatch(message);
  });

  it('every referenced ConfigMap, Secret and volume is defined', () => {
    expect(checkReferences(applied, secretExamples)).toEqual([]);
    const typo = broken('apps/v1/Deployment', 'email-service', (d) => (d.spec.template.spec.volumes[0].secret.secretName = 'eventshop-jwt-verfy'));
    expect(checkReferences(typo, secretExamples).join('\n')).toMatch(/Secret eventshop-jwt-verfy is defined nowhere/);
    const noConfig = (structuredClone(applied) as Doc[]).filter((d) => kindKey(d) !== 'v1/ConfigMap');
    expect(checkReferences(noConfig, secretExamples).join('\n')).toMatch(/envFrom ConfigMap eventshop-config is defined nowhere/);
    const badKeyRef = broken('apps/v1/Deployment', 'email-service', (d) => (env(d, 'NEWSLETTER_LINK_SECRET').valueFrom.secretKeyRef.name = 'links'));
    expect(checkReferences(badKeyRef, secretExamples).join('\n')).toMatch(/env NEWSLETTER_LINK_SECRET: Secret links is defined nowhere/);
    const noClaim = broken('apps/v1/StatefulSet', 'nats', (d) => (d.spec.volumeClaimTemplates[0].metadata.name = 'storage'));
    expect(checkReferences(noClaim, secretExamples).join('\n')).toMatch(/StatefulSet nats: volumeMount data has no volume/);
  });

  it('every *_FILE variable names a key of a Secret mounted at that path', () => {
    expect(checkKeyFiles(applied, secretExamples)).toEqual([]);
    const typo = broken('apps/v1/Deployment', 'user-service', (d) => (env(d, 'JWT_PRIVATE_KEY_FILE').value = '/etc/eventshop/jwt-signing/private.pem'));
    expect(checkKeyFiles(typo, secretExamples).join('\n')).toMatch(/Secret eventshop-jwt-signing has no key private.pem/);
    const unmounted = broken('apps/v1/Deployment', 'email-service', (d) => (container(d).volumeMounts = container(d).volumeMounts.filter((m: Doc) => m.name !== 'jwt-verify')));
    expect(checkKeyFiles(unmounted, secretExamples).join('\n')).toMatch(/email-service: JWT_PUBLIC_KEY_FILE=\/etc\/eventshop\/jwt-verify\/jwt-public.pem is not inside a mounted Secret volume/);
  });

  it('no PEM outside Secrets, and only user-service mounts the signing key', () => {
    expect(checkK8sSecrets(applied, SIGNING_SECRET)).toEqual([]);
    const pem = broken('v1/ConfigMap', 'eventshop-config', (d) => (d.data.JWT_PUBLIC_KEY = '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----'));
    expect(checkK8sSecrets(pem, SIGNING_SECRET).join('\n')).toMatch(/ConfigMap eventshop-config: PEM text at data.JWT_PUBLIC_KEY/);
    const leak = broken('apps/v1/Deployment', 'email-service', (d) => d.spec.template.spec.volumes.push({ name: 'signing', secret: { secretName: SIGNING_SECRET } }));
    expect(checkK8sSecrets(leak, SIGNING_SECRET).join('\n')).toMatch(/email-service must not see Secret eventshop-jwt-signing/);
  });

  it('the Secret example holds placeholders only, for the keys the apps mount', () => {
    expect(checkSecretExample(secretExamples)).toEqual([]);
    expect(secretExamples.map((d) => (d as Doc).metadata.name).sort()).toEqual(['eventshop-jwt-signing', 'eventshop-jwt-verify', 'eventshop-nats-users', 'eventshop-newsletter-links', 'eventshop-postgres-passwords', 'eventshop-read-model-admin']);
    const real = structuredClone(secretExamples) as Doc[];
    (real[0] as Doc).stringData['jwt-private.pem'] = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----';
    expect(checkSecretExample(real).join('\n')).toMatch(/must be an obvious placeholder/);
  });
});
