/**
 * NATS identities in the deployment files: the committed authorization config is what the
 * generator makes from the contracts and the apps, every app connects as its own user with only its
 * own password, the NATS server is reachable only as it must be, and (k8s) the NetworkPolicies
 * confine each service to its database, NATS and (email-service) SMTP, and the console to NATS, the
 * services' HTTP ports and MailDev's web port.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { busIdentitiesIn, natsConfigFiles, natsUsers, passwordVariableFor } from '@eventshop/messaging';
import { composeEnv, composeMounts, composePorts, composeServices } from './compose.js';
import { isRecord, REPO_ROOT, type AppService } from './workspace.js';

type Manifest = Record<string, unknown>;

/** The generated files that differ from the committed ones (run `npm run nats:config`). */
export function staleNatsConfigFiles(repoRoot: string = REPO_ROOT): string[] {
  return natsConfigFiles(repoRoot)
    .filter(({ path, content }) => {
      try {
        return readFileSync(join(repoRoot, path), 'utf8') !== content;
      } catch {
        return true;
      }
    })
    .map(({ path }) => `${path} is not what \`npm run nats:config\` generates from the contracts and apps/*/package.json`);
}

/** The NATS users the server must know: the admin and one per app. */
export function expectedNatsUsers(repoRoot: string = REPO_ROOT): string[] {
  return natsUsers(busIdentitiesIn(join(repoRoot, 'apps')));
}


/** docker-compose.yml: users, password files, the server's config and ports, provisioning. */
export function checkComposeNats(doc: unknown, apps: readonly AppService[], users: readonly string[]): string[] {
  const problems: string[] = [];
  const services = composeServices(doc);
  for (const app of apps) {
    const service = services[app.service];
    if (!service) continue;
    const where = `services.${app.service}`;
    const env = composeEnv(service);
    if (env.get('NATS_USER') !== app.service) problems.push(`${where}.environment.NATS_USER must be "${app.service}" (its own NATS user)`);
    const file = env.get('NATS_PASSWORD_FILE') ?? '';
    const dir = file.replace(/\/[^/]+$/, '');
    const source = composeMounts(service).get(dir);
    if (source !== `./.dev-keys/nats/${app.service}`) {
      problems.push(`${where}: NATS_PASSWORD_FILE must be in a mount of ./.dev-keys/nats/${app.service} (its own password only), got ${JSON.stringify(source)}`);
    }
    const deps = isRecord(service.depends_on) ? service.depends_on : {};
    const provision = deps['nats-provision'];
    if (!isRecord(provision) || provision.condition !== 'service_completed_successfully') {
      problems.push(`${where}.depends_on.nats-provision must be service_completed_successfully: it may not create the streams itself`);
    }
  }
  const nats = services.nats;
  if (nats) {
    const command = Array.isArray(nats.command) ? nats.command.map(String) : [];
    const config = command[command.indexOf('-c') + 1];
    if (!config || composeMounts(nats).get(config) !== './nats/auth.conf') problems.push('services.nats must run with -c <the mounted ./nats/auth.conf>');
    for (const port of composePorts(nats)) {
      if (port.target !== 4222) problems.push(`services.nats publishes container port ${port.target}: only 4222 is needed on the host`);
    }
    for (const spec of Array.isArray(nats.ports) ? nats.ports.map(String) : []) {
      if (!spec.startsWith('127.0.0.1:')) problems.push(`services.nats.ports "${spec}" must bind the host's loopback only (127.0.0.1:…)`);
    }
  }
  const provision = services['nats-provision'];
  const provisionEnv = provision ? composeEnv(provision) : new Map();
  if (!provision || provisionEnv.get('NATS_USER') !== 'admin') problems.push('services.nats-provision must provision the streams as NATS_USER admin');
  // dev-keys writes one password per user: exactly the users of the config.
  const script = String((Array.isArray(services['dev-keys']?.command) ? (services['dev-keys'].command as unknown[]) : []).join('\n'));
  const listed = /const users = \[([^\]]*)\]/.exec(script)?.[1]?.match(/'([^']+)'/g)?.map((u) => u.slice(1, -1)) ?? [];
  if ([...listed].sort().join() !== [...users].sort().join()) {
    problems.push(`services.dev-keys writes NATS passwords for ${listed.join(', ') || 'nobody'}, but the users are ${users.join(', ')}`);
  }
  return problems;
}

const nameOf = (doc: Manifest) => String((doc.metadata as Manifest | undefined)?.name ?? '');
const ofKind = (docs: readonly unknown[], key: string) =>
  docs.filter((d): d is Manifest => isRecord(d) && `${String(d.apiVersion)}/${String(d.kind)}` === key);
const podSpec = (doc: Manifest) => ((doc.spec as Manifest | undefined)?.template as Manifest | undefined)?.spec as Manifest | undefined;

/** k8s: each app's NATS user and only its own key; the server's config and passwords; the Secret example. */
export function checkK8sNats(applied: readonly unknown[], secretExamples: readonly unknown[], apps: readonly AppService[], users: readonly string[]): string[] {
  const problems: string[] = [];
  for (const app of apps) {
    const deployment = ofKind(applied, 'apps/v1/Deployment').find((d) => nameOf(d) === app.service);
    if (!deployment) continue;
    const spec = podSpec(deployment) ?? {};
    const container = (Array.isArray(spec.containers) ? spec.containers : []).filter(isRecord)[0] ?? {};
    const env = new Map((Array.isArray(container.env) ? container.env : []).filter(isRecord).map((e) => [String(e.name), e.value]));
    if (env.get('NATS_USER') !== app.service) problems.push(`Deployment ${app.service}: env NATS_USER must be "${app.service}"`);
    if (!env.has('NATS_PASSWORD_FILE')) problems.push(`Deployment ${app.service}: env NATS_PASSWORD_FILE must name its mounted password`);
    for (const volume of (Array.isArray(spec.volumes) ? spec.volumes : []).filter(isRecord)) {
      if (!isRecord(volume.secret) || volume.secret.secretName !== 'eventshop-nats-users') continue;
      const keys = (Array.isArray(volume.secret.items) ? volume.secret.items : []).filter(isRecord).map((item) => item.key);
      if (keys.join() !== passwordVariableFor(app.service)) {
        problems.push(`Deployment ${app.service} must mount only its own NATS password (${passwordVariableFor(app.service)}), mounts ${keys.join(', ') || 'every key'}`);
      }
    }
  }
  const nats = ofKind(applied, 'apps/v1/StatefulSet').find((s) => nameOf(s) === 'nats');
  const natsContainer = nats && (((podSpec(nats)?.containers as unknown[]) ?? []).filter(isRecord)[0] ?? {});
  const args = Array.isArray(natsContainer?.args) ? natsContainer.args.map(String) : [];
  if (!args.includes('-c')) problems.push('StatefulSet nats must run with -c <the generated auth.conf>');
  const authVolume = nats && ((podSpec(nats)?.volumes as unknown[]) ?? []).filter(isRecord).find((v) => isRecord(v.configMap) && v.configMap.name === 'eventshop-nats-auth');
  if (!authVolume) problems.push('StatefulSet nats must mount the ConfigMap eventshop-nats-auth');
  const example = ofKind(secretExamples, 'v1/Secret').find((s) => nameOf(s) === 'eventshop-nats-users');
  const keys = Object.keys(isRecord(example?.stringData) ? example.stringData : {}).sort();
  const expected = users.map(passwordVariableFor).sort();
  if (keys.join() !== expected.join()) problems.push(`Secret eventshop-nats-users (example) must hold ${expected.join(', ')}, holds ${keys.join(', ')}`);
  return problems;
}

type Peer = { readonly pods: Record<string, unknown>; readonly ports: number[] };

function peersOf(rules: unknown, side: 'to' | 'from'): Peer[] {
  return (Array.isArray(rules) ? rules : []).filter(isRecord).flatMap((rule) => {
    const ports = (Array.isArray(rule.ports) ? rule.ports : []).filter(isRecord).map((p) => Number(p.port));
    const peers = Array.isArray(rule[side]) ? (rule[side] as unknown[]).filter(isRecord) : [];
    if (peers.length === 0) return [{ pods: { '*': '*' }, ports }];
    return peers.map((peer) => ({
      pods: isRecord(peer.podSelector) && isRecord(peer.podSelector.matchLabels) ? peer.podSelector.matchLabels : {},
      ports,
    }));
  });
}

/** The app that watches everything: it talks to every service instead of to a database. */
const CONSOLE = 'console';

/**
 * Who may talk to whom: the edges (`<app.kubernetes.io/name>:<port>`) `app` needs, which are also
 * all it may open. A service: its database server (if it owns a database), NATS and (email-service)
 * SMTP. The console: NATS, each service's HTTP port (Try-it and `/metrics`) and MailDev's web port.
 */
export function allowedEdges(app: AppService, apps: readonly AppService[]): string[] {
  if (app.service === CONSOLE) {
    return ['nats:4222', ...apps.filter((other) => other.service !== CONSOLE).map((other) => `${other.service}:${other.port}`), 'maildev:1080'];
  }
  return [...(app.database === undefined ? [] : ['postgres:5432']), 'nats:4222', ...(app.service === 'email-service' ? ['maildev:1025'] : [])];
}

/** Whether `peer` (a rule's `to`/`from` entry with its ports) covers pods labelled `labels` on `port`. */
function peerCovers(peer: Peer, labels: Record<string, unknown>, port: number): boolean {
  const pods = '*' in peer.pods || Object.entries(peer.pods).every(([key, value]) => labels[key] === value);
  return pods && (peer.ports.length === 0 || peer.ports.includes(port));
}

/**
 * NetworkPolicies: a default deny; each app may reach out only along its `allowedEdges`, and each of
 * those edges is open at both ends (its egress, and the target's ingress for the app's pod labels);
 * NATS and PostgreSQL accept only the services.
 */
export function checkNetworkPolicies(applied: readonly unknown[], apps: readonly AppService[]): string[] {
  const problems: string[] = [];
  const policies = ofKind(applied, 'networking.k8s.io/v1/NetworkPolicy');
  const selecting = (name: string) =>
    policies.filter((p) => {
      const labels = ((p.spec as Manifest | undefined)?.podSelector as Manifest | undefined)?.matchLabels;
      return isRecord(labels) && labels['app.kubernetes.io/name'] === name;
    });
  const rulesOf = (mine: readonly Manifest[], side: 'egress' | 'ingress') =>
    mine.flatMap((policy) => peersOf((policy.spec as Manifest)[side], side === 'egress' ? 'to' : 'from'));
  const podLabels = (name: string): Record<string, unknown> => {
    const deployment = ofKind(applied, 'apps/v1/Deployment').find((d) => nameOf(d) === name);
    const labels = (((deployment?.spec as Manifest | undefined)?.template as Manifest | undefined)?.metadata as Manifest | undefined)?.labels;
    return isRecord(labels) ? labels : { 'app.kubernetes.io/name': name };
  };
  const denyAll = policies.find((p) => {
    const spec = (p.spec ?? {}) as Manifest;
    const selector = spec.podSelector as Manifest | undefined;
    return isRecord(selector) && Object.keys(selector).length === 0 && !spec.ingress && !spec.egress && String(spec.policyTypes) === 'Ingress,Egress';
  });
  if (!denyAll) problems.push('a NetworkPolicy must deny all ingress and egress by default (podSelector: {}, no rules)');
  for (const app of apps) {
    const mine = selecting(app.service);
    if (mine.length === 0) {
      problems.push(`NetworkPolicy: no policy selects ${app.service}`);
      continue;
    }
    const allowed = allowedEdges(app, apps);
    for (const policy of mine) {
      for (const peer of peersOf((policy.spec as Manifest).egress, 'to')) {
        for (const port of peer.ports.length > 0 ? peer.ports : [0]) {
          const edge = `${String(peer.pods['app.kubernetes.io/name'] ?? '*')}:${port || '*'}`;
          if (!allowed.includes(edge)) problems.push(`NetworkPolicy ${nameOf(policy)}: ${app.service} may reach ${edge}, only ${allowed.join(', ')} are allowed`);
        }
      }
    }
    // Every edge it needs must be open at both ends, or the app fails at run time, not here.
    const labels = podLabels(app.service);
    for (const edge of allowed) {
      const separator = edge.lastIndexOf(':');
      const target = edge.slice(0, separator);
      const port = Number(edge.slice(separator + 1));
      if (!rulesOf(mine, 'egress').some((peer) => peerCovers(peer, { 'app.kubernetes.io/name': target }, port))) {
        problems.push(`NetworkPolicy: ${app.service} must be able to reach ${edge}, its egress does not allow it`);
      }
      if (!rulesOf(selecting(target), 'ingress').some((peer) => peerCovers(peer, labels, port))) {
        problems.push(`NetworkPolicy: ${target} does not admit ${app.service} on ${port}, which it needs`);
      }
    }
  }
  // Who may reach the infrastructure, besides the services on its client port: the stream
  // provisioning Job on NATS's, and the NATS servers each other on the cluster route port.
  const isService = (peer: Peer) => peer.pods['app.kubernetes.io/component'] === 'service';
  const isPod = (name: string) => (peer: Peer) => peer.pods['app.kubernetes.io/name'] === name && Object.keys(peer.pods).length === 1;
  const inbound = {
    nats: [{ port: 4222, who: [isService, isPod('nats-provision')] }, { port: 6222, who: [isPod('nats')] }],
    postgres: [{ port: 5432, who: [isService] }],
  } as const;
  for (const [infra, rules] of Object.entries(inbound)) {
    const mine = selecting(infra);
    if (mine.length === 0) problems.push(`NetworkPolicy: no policy selects ${infra}`);
    for (const policy of mine) {
      for (const peer of peersOf((policy.spec as Manifest).ingress, 'from')) {
        const allowed = peer.ports.length > 0 && peer.ports.every((port) => rules.some((rule) => rule.port === port && rule.who.some((who) => who(peer))));
        if (!allowed) {
          const expected = rules.map((rule) => String(rule.port)).join(' / ');
          problems.push(`NetworkPolicy ${nameOf(policy)}: ${infra} must accept only the services (app.kubernetes.io/component: service) on ${expected} (and its own peers), not ${JSON.stringify(peer.pods)} on ${peer.ports.join(', ') || 'every port'}`);
        }
      }
    }
  }
  return problems;
}
