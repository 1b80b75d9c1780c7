/**
 * docker-compose.yml (and the Dockerfile it builds) against the Compose Specification schema and
 * against the apps. Each check runs on the real file, then on broken in-memory copies to prove it
 * can fail: a check that cannot fail would pass forever while the files drift.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  appServiceNames,
  checkComposeApps,
  checkComposeEnv,
  checkComposeInfrastructure,
  checkComposeSecrets,
  composeServices,
  isPortSpec,
  validateComposeSchema,
} from './compose.js';
import { DOCUMENTED_ENV, SERVICE_ENV, SHARED_ENV, TOOL_ENV } from './documented-env.js';
import { checkDockerfile, checkDockerignore } from './dockerfile.js';
import { discoverApps, readmeEnvTable, readYaml, REPO_ROOT, type AppService } from './workspace.js';

const compose = readYaml(join(REPO_ROOT, 'docker-compose.yml'));
const apps = discoverApps();

// Parsed YAML that the negative tests reach into and break at will; typing each path would only
// restate the manifests.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

/** A deep copy of the compose document, changed by `change`. */
function broken(change: (doc: Doc) => void): Doc {
  const copy = structuredClone(compose) as Doc;
  change(copy);
  return copy;
}

describe('apps/*/package.json', () => {
  it('declares at least one service (a package.json with an "eventshop" block)', () => {
    expect(apps.map((a) => a.service)).not.toEqual([]);
  });

  describe('discovery', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-check-apps-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, pkg: unknown) => {
      mkdirSync(join(dir, name), { recursive: true });
      writeFileSync(join(dir, name, 'package.json'), JSON.stringify(pkg));
    };

    it('finds folders whose package.json has "eventshop", skips the rest', () => {
      write('b-service', { name: '@eventshop/b-service', eventshop: { port: 3010, database: 'b_service' } });
      write('a-service', { name: '@eventshop/a-service', eventshop: { port: 3011, database: 'a_service' } });
      write('c-console', { name: '@eventshop/c-console', eventshop: { port: 3012 } });
      write('not-a-service', { name: '@eventshop/not-a-service' });
      mkdirSync(join(dir, 'no-package-json'));
      expect(discoverApps(dir)).toEqual([
        { service: 'a-service', port: 3011, database: 'a_service' },
        { service: 'b-service', port: 3010, database: 'b_service' },
        { service: 'c-console', port: 3012 },
      ]);
    });

    it.each([
      ['a port out of range', { name: '@eventshop/x', eventshop: { port: 70000, database: 'x' } }, /eventshop.port/],
      ['a port given as text', { name: '@eventshop/x', eventshop: { port: '3001', database: 'x' } }, /eventshop.port/],
      ['an invalid database name', { name: '@eventshop/x', eventshop: { port: 3001, database: 'X-Y' } }, /eventshop.database/],
      ['a package name that is not the folder', { name: '@eventshop/other', eventshop: { port: 3001, database: 'x' } }, /"name" must be "@eventshop\/x"/],
    ])('rejects %s', (_label, pkg, message) => {
      const single = mkdtempSync(join(tmpdir(), 'deploy-check-bad-'));
      try {
        mkdirSync(join(single, 'x'));
        writeFileSync(join(single, 'x', 'package.json'), JSON.stringify(pkg));
        expect(() => discoverApps(single)).toThrow(message);
      } finally {
        rmSync(single, { recursive: true, force: true });
      }
    });
  });
});

describe('docker-compose.yml: Compose Specification schema', () => {
  it('is valid', () => {
    expect(validateComposeSchema(compose)).toEqual([]);
  });

  it.each<[string, (doc: Doc) => void]>([
    ['an unknown service key', (d) => (d.services['user-service'].imagee = 'x')],
    ['an unknown top-level key', (d) => (d.servics = {})],
    ['a malformed port mapping', (d) => (d.services['user-service'].ports = ['3001:abc'])],
    ['a malformed duration', (d) => (d.services.postgres.healthcheck.interval = '5 seconds')],
    ['an unknown depends_on condition', (d) => (d.services['user-service'].depends_on.postgres.condition = 'service_ready')],
    ['build args of the wrong type', (d) => (d.services['user-service'].build.args = 'SERVICE=user-service')],
  ])('rejects a copy with %s', (_label, change) => {
    expect(validateComposeSchema(broken(change))).not.toEqual([]);
  });

  it.each([
    [3001, true],
    ['3001', true],
    ['3001:3001', true],
    ['127.0.0.1:3001:3001/tcp', true],
    ['[::1]:3001:3001', true],
    ['127.0.0.1::3001', true],
    ['3000-3005:3000-3005', true],
    ['3001:3001/http', false],
    ['0:3001', false],
    ['3001:70000', false],
    ['3005-3000', false],
    ['a:b:c:d', false],
  ])('the "ports" format judges %p as %p', (spec, valid) => {
    expect(isPortSpec(spec)).toBe(valid);
  });
});

describe('docker-compose.yml: app services match apps/*', () => {
  it('has one service per app, built from the Dockerfile, with its port, database, healthcheck and dependencies', () => {
    expect(appServiceNames(compose)).toEqual(apps.map((a) => a.service));
    expect(checkComposeApps(compose, apps)).toEqual([]);
  });

  const userService = (d: Doc) => d.services['user-service'];
  it.each<[string, (doc: Doc) => void, RegExp]>([
    ['the service removed', (d) => delete d.services['user-service'], /apps\/user-service has no service/],
    ['a service for an app that does not exist', (d) => (d.services['ghost-service'] = { build: { context: '.', args: { SERVICE: 'ghost-service' } } }), /ghost-service.*no apps\/ghost-service/],
    ['the wrong SERVICE build arg', (d) => (userService(d).build.args.SERVICE = 'email-service'), /build.args.SERVICE must be "user-service"/],
    ['another build context', (d) => (userService(d).build.context = './apps/user-service'), /build.context must be "."/],
    ['the wrong image name', (d) => (userService(d).image = 'user-service:dev'), /image must be "eventshop\/user-service:<tag>"/],
    ['the wrong PORT', (d) => (userService(d).environment.PORT = '3999'), /environment.PORT must be "3001"/],
    ['the wrong DATABASE_NAME', (d) => (userService(d).environment.DATABASE_NAME = 'users'), /DATABASE_NAME must be "user_service"/],
    ['a host port other than the app port', (d) => (userService(d).ports = ['8080:3001']), /must map host port 3001 to container port 3001/],
    ['a container port other than the app port', (d) => (userService(d).ports = ['3001:3001', '3002:3002']), /maps container port 3002/],
    ['a healthcheck on another port', (d) => (userService(d).healthcheck.test = ['CMD', 'node', '-e', "fetch('http://127.0.0.1:3002/health')"]), /healthcheck must request/],
    ['a healthcheck on liveness only', (d) => (userService(d).healthcheck.test = ['CMD', 'node', '-e', "fetch('http://127.0.0.1:3001/health/live')"]), /healthcheck must request http:\/\/127.0.0.1:3001\/health\/ready/],
    ['the healthcheck disabled', (d) => (userService(d).healthcheck = { disable: true }), /healthcheck must request/],
    ['depends_on postgres without service_healthy', (d) => (userService(d).depends_on.postgres.condition = 'service_started'), /depends_on.postgres must have condition service_healthy/],
    ['depends_on a missing service', (d) => (userService(d).depends_on.redis = { condition: 'service_started' }), /names "redis", which is not a service/],
    ['POSTGRES_URL on localhost', (d) => (userService(d).environment.POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432'), /POSTGRES_URL must point at a compose service/],
    ['POSTGRES_URL with a database', (d) => (userService(d).environment.POSTGRES_URL = 'postgres://postgres@postgres:5432/user_service'), /without a database/],
    ['NATS_URL on a missing host', (d) => (userService(d).environment.NATS_URL = 'nats://natz:4222'), /NATS_URL must point at a compose service/],
    ['SMTP_HOST on a missing host', (d) => (d.services['email-service'].environment.SMTP_HOST = 'smtp.local'), /SMTP_HOST must name a compose service/],
    ['an env_file', (d) => (userService(d).env_file = '.env'), /env_file is not allowed/],
    ['a key file outside the mounts', (d) => (userService(d).volumes = []), /JWT_PRIVATE_KEY_FILE=\/keys\/jwt-private.pem is not inside any of the service's volumes/],
  ])('fails with %s', (_label, change, message) => {
    expect(checkComposeApps(broken(change), apps).join('\n')).toMatch(message);
  });

  const consoleApp = (d: Doc) => d.services.console;
  it.each<[string, (doc: Doc) => void, RegExp]>([
    ['a DATABASE_NAME given to the console', (d) => (consoleApp(d).environment.DATABASE_NAME = 'console'), /console.environment.DATABASE_NAME is set, but apps\/console owns no database/],
    ['a POSTGRES_URL given to the console', (d) => (consoleApp(d).environment.POSTGRES_URL = 'postgres://postgres@postgres:5432'), /POSTGRES_URL is set, but apps\/console owns no database/],
    ['the console not waiting for nats', (d) => delete consoleApp(d).depends_on.nats, /console.depends_on.nats must have condition service_healthy/],
  ])('fails for an app without a database with %s', (_label, change, message) => {
    expect(apps.find((a) => a.service === 'console')).toEqual({ service: 'console', port: 3000 });
    expect(checkComposeApps(broken(change), apps).join('\n')).toMatch(message);
  });

  it('fails when an app is added under apps/ without a compose service', () => {
    // A made-up app, so this stays a negative test whatever apps/ holds.
    const more: AppService[] = [...apps, { service: 'example-service', port: 3999, database: 'example_service' }];
    expect(checkComposeApps(compose, more)).toContain('apps/example-service has no service in docker-compose.yml');
  });

  it('fails when an app changes its port in package.json', () => {
    const moved = apps.map((a) => (a.service === 'email-service' ? { ...a, port: 3102 } : a));
    expect(checkComposeApps(compose, moved).join('\n')).toMatch(/email-service.environment.PORT must be "3102"/);
  });
});

describe('docker-compose.yml: environment variables', () => {
  /** documented-env.ts as the README would write it: variable → who reads it. */
  const documentedScopes = () =>
    new Map(
      [...DOCUMENTED_ENV].map((name) => {
        if ((SHARED_ENV as readonly string[]).includes(name)) return [name, ['*']];
        const services = Object.entries(SERVICE_ENV).filter(([, names]) => names.includes(name)).map(([service]) => service);
        return [name, services.length > 0 ? services.sort() : [TOOL_ENV[name] ?? '(nobody)']];
      }),
    );
  const sorted = (table: Map<string, string[]> | null) => [...(table ?? new Map<string, string[]>())].sort(([a], [b]) => a.localeCompare(b));

  it('documented-env.ts lists exactly the README table: same variables, same services', () => {
    const readme = readmeEnvTable(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'), apps.map((a) => a.service));
    expect(readme).not.toBeNull();
    expect(sorted(readme)).toEqual(sorted(documentedScopes()));
  });

  it('fails when the README and documented-env.ts disagree', () => {
    const table = [
      '| variable | services | default | meaning |',
      '| --- | --- | --- | --- |',
      '| `PORT` | all | 3001 | port |',
      '| `JWT_PRIVATE_KEY` / `JWT_PRIVATE_KEY_FILE` | user | — | key |',
      '| `NEWSLETTER_PUBLIC_URL` | email, newsletter | — | url |',
      '| `MAILDEV_WEB_PORT` | `npm start` | 1080 | catcher |',
      '| `MAILDEV_URL` | console | 1080 | catcher |',
      '',
      '| `NOT_IN_TABLE` | all | | |',
    ].join('\n');
    const parsed = readmeEnvTable(table, ['console']);
    expect(sorted(parsed)).toEqual([
      ['JWT_PRIVATE_KEY', ['user-service']],
      ['JWT_PRIVATE_KEY_FILE', ['user-service']],
      ['MAILDEV_URL', ['console']],
      ['MAILDEV_WEB_PORT', ['npm start']],
      ['NEWSLETTER_PUBLIC_URL', ['email-service', 'newsletter-service']],
      ['PORT', ['*']],
    ]);
    expect(sorted(parsed)).not.toEqual(sorted(documentedScopes()));
    expect(readmeEnvTable('# no table here')).toBeNull();
  });

  it('app services use only documented variables, each only where it belongs, no secret literals', () => {
    expect(checkComposeEnv(compose)).toEqual([]);
  });

  it.each<[string, (doc: Doc) => void, RegExp]>([
    ['an undocumented variable', (d) => (d.services['user-service'].environment.DATABSE_NAME = 'x'), /DATABSE_NAME is not a documented variable/],
    ["another service's variable", (d) => (d.services['email-service'].environment.BCRYPT_COST = '10'), /BCRYPT_COST is not a documented variable for email-service/],
    ['an undocumented variable in list form', (d) => (d.services['user-service'].environment = ['PORT=3001', 'DEBUG=1']), /DEBUG is not a documented variable/],
    ['a literal SMTP password', (d) => (d.services['email-service'].environment.SMTP_PASSWORD = 'hunter2'), /SMTP_PASSWORD is a secret/],
    ['a tool-only variable on an app', (d) => (d.services['email-service'].environment.MAILDEV_SMTP_PORT = '1025'), /MAILDEV_SMTP_PORT is not a documented variable for email-service/],
  ])('fails with %s', (_label, change, message) => {
    expect(checkComposeEnv(broken(change)).join('\n')).toMatch(message);
  });
});

describe('docker-compose.yml: infrastructure', () => {
  it('has postgres 15+, nats with JetStream on a volume, maildev, and healthchecks where apps wait', () => {
    expect(checkComposeInfrastructure(compose)).toEqual([]);
    expect(Object.keys(composeServices(compose))).toEqual(expect.arrayContaining(['postgres', 'nats', 'maildev']));
  });

  it.each<[string, (doc: Doc) => void, RegExp]>([
    ['postgres 14', (d) => (d.services.postgres.image = 'postgres:14'), /postgres:15 or newer/],
    ['no postgres healthcheck', (d) => delete d.services.postgres.healthcheck, /pg_isready|has no healthcheck/],
    ['nats without -js', (d) => (d.services.nats.command = ['nats-server', '-sd', '/data', '-m', '8222']), /enable JetStream/],
    ['nats storage off the volume', (d) => (d.services.nats.volumes = []), /JetStream store/],
    ['no nats healthcheck', (d) => delete d.services.nats.healthcheck, /nats has no healthcheck/],
    ['maildev missing', (d) => delete d.services.maildev, /services.maildev is missing/],
    ['maildev without its web port', (d) => (d.services.maildev.ports = ['1025:1025']), /must publish port 1080/],
  ])('fails with %s', (_label, change, message) => {
    expect(checkComposeInfrastructure(broken(change)).join('\n')).toMatch(message);
  });
});

describe('docker-compose.yml: secrets', () => {
  it('holds no PEM text', () => {
    expect(checkComposeSecrets(compose)).toEqual([]);
  });

  it('fails when a key is pasted inline', () => {
    const doc = broken((d) => (d.services['email-service'].environment.JWT_PUBLIC_KEY = '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----'));
    expect(checkComposeSecrets(doc)).toEqual(['PEM text in docker-compose.yml at services.email-service.environment.JWT_PUBLIC_KEY: -----BEGIN PUBLIC KEY-----']);
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const dockerignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8');

  it('builds any app selected by ARG SERVICE on node:24-bookworm-slim, runs it as non-root', () => {
    expect(checkDockerfile(dockerfile)).toEqual([]);
  });

  it.each<[string, (text: string) => string, RegExp]>([
    ['another base image', (t) => t.replace('ARG NODE_IMAGE=node:24-bookworm-slim', 'ARG NODE_IMAGE=node:24'), /must be node:24-bookworm-slim/],
    ['a hard-coded EXPOSE', (t) => `${t}\nEXPOSE 3001\n`, /EXPOSE 3001 hard-codes a port/],
    ['no USER', (t) => t.replace(/^USER .*$/m, ''), /non-root USER/],
    ['USER root', (t) => `${t}\nUSER root\n`, /non-root USER/],
    ['no dev-dependency pruning', (t) => t.replace('npm prune --omit=dev', 'true'), /npm prune --omit=dev/],
    ['no tracing preload', (t) => t.replace(' --import ./libs/platform/dist/tracing/register.js', ''), /must preload tracing/],
    ['not the services\' V8 flags', (t) => t.replace(' --max-semi-space-size=1', ''), /the services' flag --max-semi-space-size=1/],
    ['a different heap growth', (t) => t.replace('--heap-growing-percent=25', '--heap-growing-percent=50'), /the services' flag --heap-growing-percent=25/],
    ['not the services\' malloc arenas', (t) => t.replace(' \\\n    MALLOC_ARENA_MAX=2', ''), /ENV MALLOC_ARENA_MAX=2/],
    ['a fixed entry point', (t) => t.replace(/^CMD .*$/m, 'CMD ["node", "apps/user-service/dist/main.js"]'), /CMD node apps\/\$\{SERVICE\}\/dist\/main.js/],
  ])('fails with %s', (_label, change, message) => {
    expect(checkDockerfile(change(dockerfile)).join('\n')).toMatch(message);
  });

  it('keeps local installs, build output, keys and .git out of the build context', () => {
    expect(checkDockerignore(dockerignore)).toEqual([]);
    expect(checkDockerignore(dockerignore.replace(/^\.dev-keys$/m, ''))).toEqual(['.dockerignore must list .dev-keys']);
  });
});
