/**
 * PostgreSQL least privilege in the deployment files: one role per service, named like its
 * database and owning only it (deploy/postgres/init-service-roles.sh); every app connects as its
 * own role with only its own password; the server runs that script on first start and trusts no
 * connection without a password.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeEnv, composeMounts, composeServices } from './compose.js';
import { isRecord, REPO_ROOT, type AppService } from './workspace.js';

type Manifest = Record<string, unknown>;

/** The script both deployments run (the int test apps/order-service/src/database-role.int.spec.ts runs it too). */
export const INIT_SCRIPT = 'deploy/postgres/init-service-roles.sh';
export const PASSWORDS_SECRET = 'eventshop-postgres-passwords';
const INITDB_DIR = '/docker-entrypoint-initdb.d';
/** The superuser's password: a key of the same Secret / folder, never mounted by an app. */
const SUPERUSER = 'superuser';

export function initScript(repoRoot: string = REPO_ROOT): string {
  return readFileSync(join(repoRoot, INIT_SCRIPT), 'utf8');
}

const sameSet = (a: readonly string[], b: readonly string[]) => [...a].sort().join() === [...b].sort().join();
const words = (value: string | null | undefined) => (value ?? '').split(/\s+/).filter(Boolean);

/** The role an app connects as: POSTGRES_URL's user. */
function roleOf(url: string | null | undefined): string | undefined {
  try {
    return url ? decodeURIComponent(new URL(url).username) || undefined : undefined;
  } catch {
    return undefined;
  }
}


/** docker-compose.yml: each app's role and password file; the server's init script, databases and auth. */
export function checkComposePostgres(doc: unknown, allApps: readonly AppService[]): string[] {
  const apps = withDatabase(allApps);
  const problems: string[] = [];
  const services = composeServices(doc);
  for (const app of apps) {
    const service = services[app.service];
    if (!service) continue;
    const where = `services.${app.service}.environment`;
    const env = composeEnv(service);
    const role = roleOf(env.get('POSTGRES_URL'));
    if (role !== app.database) problems.push(`${where}.POSTGRES_URL must connect as the role ${app.database} (its own), got ${JSON.stringify(role)}`);
    const dir = (env.get('POSTGRES_PASSWORD_FILE') ?? '').replace(/\/[^/]+$/, '');
    const source = composeMounts(service).get(dir);
    if (source !== `./.dev-keys/postgres/${app.database}`) {
      problems.push(`${where}.POSTGRES_PASSWORD_FILE must be in a mount of ./.dev-keys/postgres/${app.database} (its own password only), got ${JSON.stringify(source)}`);
    }
  }
  const postgres = services.postgres;
  if (!postgres) return [...problems, 'services.postgres is missing'];
  const env = composeEnv(postgres);
  if (env.get('POSTGRES_HOST_AUTH_METHOD') === 'trust') problems.push('services.postgres must not trust connections (POSTGRES_HOST_AUTH_METHOD: trust lets any role in without a password)');
  if (!env.get('POSTGRES_PASSWORD_FILE')) problems.push('services.postgres needs POSTGRES_PASSWORD_FILE (a superuser password turns on password authentication)');
  const databases = apps.map((a) => a.database);
  if (!sameSet(words(env.get('SERVICE_DATABASES')), databases)) {
    problems.push(`services.postgres.environment.SERVICE_DATABASES must list the apps' databases (${databases.join(' ')}), got ${JSON.stringify(env.get('SERVICE_DATABASES'))}`);
  }
  const mounted = [...composeMounts(postgres)].some(([target, source]) => source === `./${INIT_SCRIPT}` && target.startsWith(`${INITDB_DIR}/`) && target.endsWith('.sh'));
  if (!mounted) problems.push(`services.postgres must mount ./${INIT_SCRIPT} into ${INITDB_DIR}/ (as a .sh file)`);
  // dev-keys writes one password per role: the superuser and the apps' databases.
  const script = String((Array.isArray(services['dev-keys']?.command) ? (services['dev-keys'].command as unknown[]) : []).join('\n'));
  const listed = /const databases = \[([^\]]*)\]/.exec(script)?.[1]?.match(/'([^']+)'/g)?.map((u) => u.slice(1, -1)) ?? [];
  if (!sameSet(listed, [SUPERUSER, ...databases])) {
    problems.push(`services.dev-keys writes PostgreSQL passwords for ${listed.join(', ') || 'nobody'}, but the roles are ${[SUPERUSER, ...databases].join(', ')}`);
  }
  return problems;
}

/** The apps that own a database (the console owns none): only they get a role. */
function withDatabase(apps: readonly AppService[]): Array<AppService & { database: string }> {
  return apps.filter((app): app is AppService & { database: string } => app.database !== undefined);
}

const nameOf = (doc: Manifest) => String((doc.metadata as Manifest | undefined)?.name ?? '');
const ofKind = (docs: readonly unknown[], key: string) =>
  docs.filter((d): d is Manifest => isRecord(d) && `${String(d.apiVersion)}/${String(d.kind)}` === key);
const podSpec = (doc: Manifest) => ((doc.spec as Manifest | undefined)?.template as Manifest | undefined)?.spec as Manifest | undefined;
const listOf = (value: unknown) => (Array.isArray(value) ? value.filter(isRecord) : []);
const envOf = (container: Manifest) => new Map(listOf(container.env).map((e) => [String(e.name), e.value === undefined ? null : String(e.value)]));

/** k8s: each app's role and only its own password key; the postgres StatefulSet's script, databases and auth; the Secret example. */
export function checkK8sPostgres(applied: readonly unknown[], secretExamples: readonly unknown[], allApps: readonly AppService[], script: string): string[] {
  const apps = withDatabase(allApps);
  const problems: string[] = [];
  const databases = apps.map((a) => a.database);
  for (const app of apps) {
    const deployment = ofKind(applied, 'apps/v1/Deployment').find((d) => nameOf(d) === app.service);
    if (!deployment) continue;
    const spec = podSpec(deployment) ?? {};
    const env = envOf(listOf(spec.containers)[0] ?? {});
    const role = roleOf(env.get('POSTGRES_URL'));
    if (role !== app.database) problems.push(`Deployment ${app.service}: env POSTGRES_URL must connect as the role ${app.database} (its own), got ${JSON.stringify(role)}`);
    if (!env.get('POSTGRES_PASSWORD_FILE')) problems.push(`Deployment ${app.service}: env POSTGRES_PASSWORD_FILE must name its mounted password`);
    for (const volume of listOf(spec.volumes)) {
      if (!isRecord(volume.secret) || volume.secret.secretName !== PASSWORDS_SECRET) continue;
      const keys = listOf(volume.secret.items).map((item) => String(item.key));
      if (keys.join() !== app.database) problems.push(`Deployment ${app.service} must mount only its own PostgreSQL password (${app.database}), mounts ${keys.join(', ') || 'every key'}`);
    }
  }
  const postgres = ofKind(applied, 'apps/v1/StatefulSet').find((s) => nameOf(s) === 'postgres');
  if (!postgres) return [...problems, 'StatefulSet postgres is missing'];
  const spec = podSpec(postgres) ?? {};
  const container = listOf(spec.containers)[0] ?? {};
  const env = envOf(container);
  if (env.get('POSTGRES_HOST_AUTH_METHOD') === 'trust') problems.push('StatefulSet postgres must not trust connections (POSTGRES_HOST_AUTH_METHOD: trust)');
  if (!env.get('POSTGRES_PASSWORD_FILE')) problems.push('StatefulSet postgres needs POSTGRES_PASSWORD_FILE (turns on password authentication)');
  if (!sameSet(words(env.get('SERVICE_DATABASES')), databases)) {
    problems.push(`StatefulSet postgres: env SERVICE_DATABASES must list the apps' databases (${databases.join(' ')}), got ${JSON.stringify(env.get('SERVICE_DATABASES'))}`);
  }
  // The init script: a ConfigMap mounted at the image's init folder, holding the script verbatim.
  const initMount = listOf(container.volumeMounts).find((m) => m.mountPath === INITDB_DIR);
  const initVolume = initMount && listOf(spec.volumes).find((v) => v.name === initMount.name);
  const configMapName = initVolume && isRecord(initVolume.configMap) ? initVolume.configMap.name : undefined;
  const configMap = ofKind(applied, 'v1/ConfigMap').find((c) => nameOf(c) === configMapName);
  const scripts = Object.entries(isRecord(configMap?.data) ? configMap.data : {});
  if (!configMap) problems.push(`StatefulSet postgres must mount a ConfigMap with ${INIT_SCRIPT} at ${INITDB_DIR}`);
  else if (scripts.length !== 1 || !scripts[0]?.[0].endsWith('.sh') || scripts[0][1] !== script) {
    problems.push(`ConfigMap ${String(configMapName)} must hold exactly ${INIT_SCRIPT}, verbatim, as one *.sh key (copy the file into it)`);
  }
  const example = ofKind(secretExamples, 'v1/Secret').find((s) => nameOf(s) === PASSWORDS_SECRET);
  const keys = Object.keys(isRecord(example?.stringData) ? example.stringData : {});
  if (!sameSet(keys, [SUPERUSER, ...databases])) problems.push(`Secret ${PASSWORDS_SECRET} (example) must hold ${[SUPERUSER, ...databases].join(', ')}, holds ${keys.join(', ') || 'nothing'}`);
  return problems;
}
