import { join, relative } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import {
  checkNats,
  checkPostgres,
  InfrastructureUnavailableError,
  NATS_INSTALL_COMMANDS,
  type InfrastructureProblem,
} from './infrastructure.js';
import { findNatsServer, natsServerSearchPath, startLocalNats } from './local-nats.js';
import type { LocalServer } from './local-server.js';
import type { ExitInfo } from './managed-process.js';

/** Where the services look when POSTGRES_URL / NATS_URL are not set (their configuration defaults). */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export interface ProvideInfrastructureOptions {
  /** The repository root: local servers keep their data under `<rootDir>/.eventshop/` (git-ignored). */
  rootDir: string;
  /** Where local servers keep their data instead (`postgres/`, `nats/` inside it); default `<rootDir>/.eventshop`. */
  dataDir?: string;
  /** POSTGRES_URL, when set: that server must answer; nothing is started in its place. */
  postgresUrl?: string;
  /** NATS_URL, when set: that server must answer; nothing is started in its place. */
  natsUrl?: string;
  /** Where to look when `postgresUrl` is not set; default DEFAULT_POSTGRES_URL (tests point it at a free port). */
  defaultPostgresUrl?: string;
  /** Where to look when `natsUrl` is not set; default DEFAULT_NATS_URL. A local nats-server takes its port if free. */
  defaultNatsUrl?: string;
  /** Start an embedded PostgreSQL when none answers at the default address; default true. */
  embeddedPostgres?: boolean;
  /** Folders searched for nats-server; default the PATH plus /usr/local/sbin and /usr/sbin. */
  natsSearchPath?: readonly string[];
  /** How long each running server may take to answer the first check; default 3000 ms. */
  timeoutMs?: number;
  /** Progress for people, one line each (what is used, what is started and where). */
  onStatus?: (line: string) => void;
  /** A server started here exited without being asked to, after it was up. */
  onUnexpectedExit?: (server: LocalServer, exit: ExitInfo, lastLines: string[]) => void;
  /** Aborting it during start-up stops whatever was started; the call then rejects with the abort reason. */
  signal?: AbortSignal;
}

/** PostgreSQL and NATS for the services: each either found running or started here. */
export interface ProvidedInfrastructure {
  postgres: { url: string; started?: LocalServer };
  nats: { url: string; started?: LocalServer };
  /** The variables that point the services at them. */
  env: { POSTGRES_URL: string; NATS_URL: string };
  /** Stops what was started here (never a server that was already running); idempotent. */
  stop(): Promise<void>;
}

/** What to do about one of them: use a running server, start one, or give up with a problem. */
type Plan = { use: string } | { start: () => Promise<LocalServer> } | { problem: InfrastructureProblem };
type Provided = { url: string; started?: LocalServer };

/**
 * Finds PostgreSQL and NATS (with JetStream), or starts them: when the URL is not set and nothing
 * usable answers at the default address, an embedded PostgreSQL (data in `.eventshop/postgres/`)
 * and a local `nats-server -js` (data in `.eventshop/nats/`, if nats-server is installed).
 * Rejects with an InfrastructureUnavailableError, before starting anything, when one of them can
 * be neither found nor started (e.g. NATS is down and nats-server is not installed); if a start
 * fails, whatever else was started is stopped again.
 */
export async function provideInfrastructure(options: ProvideInfrastructureOptions): Promise<ProvidedInfrastructure> {
  const postgresUrl = options.postgresUrl ?? options.defaultPostgresUrl ?? DEFAULT_POSTGRES_URL;
  const natsUrl = options.natsUrl ?? options.defaultNatsUrl ?? DEFAULT_NATS_URL;
  const timeoutMs = options.timeoutMs ?? 3000;
  const [postgresProblem, natsProblem] = await Promise.all([
    checkPostgres(postgresUrl, timeoutMs),
    checkNats(natsUrl, timeoutMs),
  ]);
  const plans = [
    postgresProblem ? planPostgres(options, postgresProblem) : { use: postgresUrl },
    natsProblem ? planNats(options, natsProblem) : { use: natsUrl },
  ];
  const problems = plans.flatMap((plan) => ('problem' in plan ? [plan.problem] : []));
  if (problems.length > 0) throw new InfrastructureUnavailableError(problems);

  const [postgres, nats] = await startAll(plans);
  let stopping: Promise<void> | undefined;
  return {
    postgres,
    nats,
    env: { POSTGRES_URL: postgres.url, NATS_URL: nats.url },
    stop: () => (stopping ??= Promise.all([postgres.started?.stop(), nats.started?.stop()]).then(() => undefined)),
  };
}

function planPostgres(options: ProvideInfrastructureOptions, problem: InfrastructureProblem): Plan {
  if (options.postgresUrl !== undefined || options.embeddedPostgres === false) return { problem };
  const dataDir = join(dataRoot(options), 'postgres');
  const status = options.onStatus ?? (() => {});
  return {
    start: async () => {
      status(`No PostgreSQL at ${problem.address} (${problem.reason}): starting an embedded one, data in ${shown(options, dataDir)}…`);
      const postgres: EmbeddedPostgres = await startEmbeddedPostgres({
        dataDir,
        signal: options.signal,
        onUnexpectedExit: (exit, lastLines) => options.onUnexpectedExit?.(postgres, exit, lastLines),
      });
      if (postgres.relocated) status(`${postgres.relocated}: its data is in ${postgres.dataDir}/ instead.`);
      status(
        `${postgres.initialised ? 'Created and started' : 'Started'} the ${postgres.name} on port ${postgres.port} ` +
          `(${postgres.url}; for empty databases, stop and delete ${postgres.relocated ? `${postgres.dataDir}/` : shown(options, dataDir)}).`,
      );
      return postgres;
    },
  };
}

function planNats(options: ProvideInfrastructureOptions, problem: InfrastructureProblem): Plan {
  if (options.natsUrl !== undefined) return { problem };
  const executable = findNatsServer(options.natsSearchPath ?? natsServerSearchPath());
  if (!executable) {
    return { problem: { ...problem, reason: `${problem.reason}, and nats-server is not installed`, fix: natsInstallAdvice() } };
  }
  const dataDir = join(dataRoot(options), 'nats');
  const preferredPort = Number(new URL(options.defaultNatsUrl ?? DEFAULT_NATS_URL).port || 4222);
  const status = options.onStatus ?? (() => {});
  return {
    start: async () => {
      status(`No NATS at ${problem.address} (${problem.reason}): starting ${executable} with JetStream, data in ${shown(options, dataDir)}…`);
      const nats: LocalServer = await startLocalNats({
        executable,
        dataDir,
        preferredPort,
        signal: options.signal,
        onUnexpectedExit: (exit, lastLines) => options.onUnexpectedExit?.(nats, exit, lastLines),
      });
      const elsewhere = nats.port === preferredPort ? '' : ` (port ${preferredPort} is taken)`;
      status(`Started nats-server with JetStream on port ${nats.port}${elsewhere} (${nats.url}).`);
      return nats;
    },
  };
}

/** Carries out both plans at once; if a start fails, stops what the other started and rethrows. */
async function startAll(plans: Plan[]): Promise<[Provided, Provided]> {
  const results = await Promise.allSettled(
    plans.map(async (plan): Promise<Provided> => {
      if ('use' in plan) return { url: plan.use };
      if ('problem' in plan) throw new InfrastructureUnavailableError([plan.problem]);
      const started = await plan.start();
      return { url: started.url, started };
    }),
  );
  const provided = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.all(provided.map((item) => item.started?.stop()));
    throw failure.reason;
  }
  const [postgres, nats] = provided;
  if (!postgres || !nats) throw new Error('startAll needs exactly two plans');
  return [postgres, nats];
}

/** The data folder as people see it: relative to the repository, e.g. `.eventshop/postgres/`. */
function shown(options: ProvideInfrastructureOptions, dir: string): string {
  return `${relative(options.rootDir, dir)}/`;
}

/** What to do when NATS is down and nats-server is not installed: one command per kind of machine. */
function natsInstallAdvice(): string {
  const width = Math.max(...NATS_INSTALL_COMMANDS.map(({ on }) => on.length)) + 3;
  return [
    'npm start runs nats-server itself when no NATS is running. Install it (or run NATS in Docker):',
    ...NATS_INSTALL_COMMANDS.map(({ on, command }) => `  ${`${on}:`.padEnd(width)}${command}`),
  ].join('\n');
}

function dataRoot(options: ProvideInfrastructureOptions): string {
  return options.dataDir ?? join(options.rootDir, '.eventshop');
}
