/**
 * The NATS identities in docker-compose.yml and k8s/: on the real files, then on broken copies to
 * prove each check can fail.
 */
import { mkdtempSync, cpSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { discoverApps, readYaml, readYamlDocuments, REPO_ROOT } from './workspace.js';
import { checkComposeNats, checkK8sNats, checkNetworkPolicies, expectedNatsUsers, staleNatsConfigFiles } from './nats-auth.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

const apps = discoverApps();
const users = expectedNatsUsers();
const compose = readYaml(join(REPO_ROOT, 'docker-compose.yml')) as Doc;
const k8s = (file: string) => readYamlDocuments(join(REPO_ROOT, 'k8s', 'base', file)) as Doc[];
const applied = [...apps.flatMap((a) => k8s(`${a.service}.yaml`)), ...k8s('nats.yaml'), ...k8s('nats-auth.yaml'), ...k8s('network-policies.yaml')];
const examples = k8s('nats-users.secret.example.yaml');
const copy = <T>(value: T, change: (doc: Doc) => void): T => {
  const clone = structuredClone(value) as Doc;
  change(clone);
  return clone as T;
};
const policy = (docs: Doc[], name: string) => docs.find((d) => d.kind === 'NetworkPolicy' && d.metadata.name === name) as Doc;
const deployment = (docs: Doc[], name: string) => docs.find((d) => d.kind === 'Deployment' && d.metadata.name === name) as Doc;

describe('the NATS authorization config', () => {
  it('has a user per app plus the admin', () => {
    expect(users).toEqual(['admin', ...apps.map((a) => a.service)]);
  });

  it('is committed exactly as generated from the contracts and apps/*/package.json (nats/auth.conf, k8s/base/nats-auth.yaml)', () => {
    expect(staleNatsConfigFiles()).toEqual([]);
  });

  it('is reported stale when an app consumes one more event than the committed file allows', () => {
    const root = mkdtempSync(join(tmpdir(), 'deploy-check-nats-'));
    try {
      cpSync(join(REPO_ROOT, 'apps'), join(root, 'apps'), { recursive: true, filter: (src) => !/node_modules|dist|src/.test(src.slice(REPO_ROOT.length)) });
      cpSync(join(REPO_ROOT, 'nats'), join(root, 'nats'), { recursive: true });
      cpSync(join(REPO_ROOT, 'k8s', 'base', 'nats-auth.yaml'), join(root, 'k8s', 'base', 'nats-auth.yaml'), { recursive: true });
      const file = join(root, 'apps', 'order-service', 'package.json');
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      pkg.eventshop.bus.consumes['notice-newsletter'] = 'NewsletterSubscribed.v1';
      writeFileSync(file, JSON.stringify(pkg));
      expect(staleNatsConfigFiles(root)).toHaveLength(2);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('docker-compose.yml: NATS identities', () => {
  it('every app connects as its own user with its own password; NATS only on loopback; streams provisioned by admin', () => {
    expect(checkComposeNats(compose, apps, users)).toEqual([]);
  });

  it.each<[string, (d: Doc) => void, RegExp]>([
    ['another service’s user', (d) => (d.services['email-service'].environment.NATS_USER = 'user-service'), /NATS_USER must be "email-service"/],
    ['someone else’s password mounted', (d) => (d.services['email-service'].volumes = d.services['email-service'].volumes.map((v: string) => v.replace('nats/email-service', 'nats/user-service'))), /its own password only/],
    ['the monitoring port published', (d) => d.services.nats.ports.push('8222:8222'), /publishes container port 8222/],
    ['the client port on every interface', (d) => (d.services.nats.ports = ['4222:4222']), /loopback only/],
    ['an app not waiting for provisioning', (d) => delete d.services['order-service'].depends_on['nats-provision'], /order-service.depends_on.nats-provision/],
    ['no generated config', (d) => (d.services.nats.command = ['-js', '-sd', '/data']), /must run with -c/],
  ])('fails with %s', (_label, change, message) => {
    expect(checkComposeNats(copy(compose, change), apps, users).join('\n')).toMatch(message);
  });

  it('fails when dev-keys does not write a password for a user', () => {
    expect(checkComposeNats(compose, apps, [...users, 'billing-service']).join('\n')).toMatch(/the users are .*billing-service/);
  });
});

describe('k8s/: NATS identities and NetworkPolicies', () => {
  it('every app has its own user and only its own key; the server runs with the generated config and every password', () => {
    expect(checkK8sNats(applied, examples, apps, users)).toEqual([]);
  });

  it.each<[string, () => Doc[], RegExp]>([
    ['another user', () => copy(applied, (d) => (deployment(d as Doc[], 'order-service').spec.template.spec.containers[0].env.find((e: Doc) => e.name === 'NATS_USER').value = 'user-service')), /NATS_USER must be "order-service"/],
    ['every key mounted', () => copy(applied, (d) => delete deployment(d as Doc[], 'order-service').spec.template.spec.volumes.find((v: Doc) => v.name === 'nats-password').secret.items), /only its own NATS password/],
  ])('fails with %s', (_label, docs, message) => {
    expect(checkK8sNats(docs(), examples, apps, users).join('\n')).toMatch(message);
  });

  it('confines every service to its database, NATS and (email-service) SMTP, the console to NATS, the services and MailDev; NATS and PostgreSQL accept only the services', () => {
    expect(checkNetworkPolicies(applied, apps)).toEqual([]);
  });

  it.each<[string, () => Doc[], RegExp]>([
    ['no default deny', () => (structuredClone(applied) as Doc[]).filter((d) => d.metadata.name !== 'default-deny'), /deny all ingress and egress by default/],
    ['order-service allowed SMTP', () => copy(applied, (d) => policy(d as Doc[], 'order-service').spec.egress.push({ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'maildev' } } }], ports: [{ protocol: 'TCP', port: 1025 }] })), /order-service may reach maildev:1025/],
    ['an app allowed anywhere', () => copy(applied, (d) => policy(d as Doc[], 'user-service').spec.egress.push({})), /user-service may reach \*:\*/],
    ['NATS open to every pod', () => copy(applied, (d) => (policy(d as Doc[], 'nats').spec.ingress = [{ ports: [{ protocol: 'TCP', port: 4222 }] }])), /nats must accept only the services/],
    ['no policy for an app', () => (structuredClone(applied) as Doc[]).filter((d) => !(d.kind === 'NetworkPolicy' && d.metadata.name === 'email-service')), /no policy selects email-service/],
    ['no policy for the console', () => (structuredClone(applied) as Doc[]).filter((d) => !(d.kind === 'NetworkPolicy' && d.metadata.name === 'console')), /no policy selects console/],
    ['the console allowed PostgreSQL', () => copy(applied, (d) => policy(d as Doc[], 'console').spec.egress.push({ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres' } } }], ports: [{ protocol: 'TCP', port: 5432 }] })), /console may reach postgres:5432/],
    ['the console cut off from a service', () => copy(applied, (d) => (policy(d as Doc[], 'console').spec.egress = policy(d as Doc[], 'console').spec.egress.filter((rule: Doc) => rule.to[0].podSelector.matchLabels['app.kubernetes.io/name'] !== 'order-service'))), /console must be able to reach order-service:3004/],
    ['a service admitting only its ingress controller', () => copy(applied, (d) => (policy(d as Doc[], 'order-service').spec.ingress[0].from = [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } } }])), /order-service does not admit console on 3004/],
    ['NATS not admitting the console', () => copy(applied, (d) => (deployment(d as Doc[], 'console').spec.template.metadata.labels['app.kubernetes.io/component'] = 'tool')), /nats does not admit console on 4222/],
    ['a service cut off from its database', () => copy(applied, (d) => (policy(d as Doc[], 'user-service').spec.egress = policy(d as Doc[], 'user-service').spec.egress.slice(1))), /user-service must be able to reach postgres:5432/],
  ])('fails with %s', (_label, docs, message) => {
    expect(checkNetworkPolicies(docs(), apps).join('\n')).toMatch(message);
  });
});
