import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { discoverServices, type DiscoveredService } from './discover.js';
import { createConsoleLog } from './log.js';
import { describeExit, httpStatus, ManagedProcess, waitUntilReady, type ExitInfo } from './managed-process.js';
import { assertPortsFree } from './ports.js';

/** The platform's tracing preload, relative to the repository root (the Dockerfile's CMD loads it too). */
export const TRACING_PRELOAD = 'libs/platform/dist/tracing/register.js';

/**
 * The V8 flags every service runs with, here and in the Dockerfile's CMD (deploy-check holds them
 * equal). They keep a service's heap near what it holds live, for ≤ 150 MB of RSS under load:
 *
 * - `--max-semi-space-size=1`: a young generation of 1 MB semi-spaces instead of V8's default of up
 *   to 16 MB, into which each service's heap grew ~100 MB under bench:shop;
 * - `--heap-growing-percent=25`: after a full GC the old generation may grow by a quarter before the
 *   next, instead of V8's own factor (up to 4×). email-service holds ~50 MB live, yet its old
 *   generation grew to ~140 MB of mostly garbage between full GCs.
 *
 * Measured with bench:shop (with SERVICE_PROCESS_ENV): the largest peak RSS ~270 MB (email-service)
 * → 142–150 MB (order-service), for ~10 % more CPU per order, as GC runs more often. 2 MB
 * semi-spaces peaked at up to 153 MB. With `--max-semi-space-size=4` alone, throughput is a little
 * higher and email-service peaks at ~270 MB: the trade to make where memory is cheap.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--heap-growing-percent=25'];

/**
 * Process environment every service runs with, here and in the Dockerfile's runtime stage
 * (deploy-check holds them equal). `MALLOC_ARENA_MAX=2`: glibc gives each thread that allocates its
 * own malloc arena by default (libuv's pool, V8's workers), and every arena keeps freed memory;
 * two arenas took 3–12 MB off each service's peak RSS in bench:shop.
 */
export const SERVICE_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

export interface SystemOptions {
  /** The repository root (where apps/ and node_modules/ are); also the services' working directory. */
  rootDir: string;
  /** Which apps to run (folder names under apps/); default: every app found. */
  services?: string[];
  /** Extra environment for every service (e.g. NATS_NAMESPACE, BCRYPT_COST). */
  env?: Record<string, string>;
  /** Extra environment per service; wins over everything else. */
  serviceEnv?: Record<string, Record<string, string>>;
  /** HTTP port per service, instead of the manifest's (tests use free ports). */
  ports?: Record<string, number>;
  /** DATABASE_NAME = <manifest database><suffix> (tests isolate their databases). */
  databaseSuffix?: string;
  /** Start MailDev on these ports (default SMTP 1025, web 1080) and point SMTP_HOST/SMTP_PORT at it; false = don't. */
  mail?: { smtpPort: number; webPort: number } | false;
  /** How long each process may take to answer 200 on its health URL; default 30000. */
  healthTimeoutMs?: number;
  /** Where output lines go; default: stdout as `[service] line`, coloured on a terminal. */
  log?: (service: string, line: string) => void;
  /**
   * Called when a service (or `maildev`) that was up exits without being asked to; the others keep
   * running. Without it, such an exit is logged as a line of that service.
   */
  onUnexpectedExit?: (service: string, exit: ExitInfo) => void;
  /** Aborting it during start-up stops everything started so far; startSystem then rejects with its reason. */
  signal?: AbortSignal;
}

export interface RunningService {
  name: string;
  port: number;
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  /** The current process id; undefined while the service is not running. */
  pid: number | undefined;
}

export interface RunningMail {
  smtpPort: number;
  webPort: number;
  /** MailDev's REST API base, `http://127.0.0.1:<web>/api`: GET `${apiUrl}/email` lists, DELETE `${apiUrl}/email/all` clears. */
  apiUrl: string;
  /** The web UI for people, `http://localhost:<web>`. */
  uiUrl: string;
}

export interface RunningSystem {
  services: Record<string, RunningService>;
  mail?: RunningMail;
  /**
   * Sends `signal` (default SIGTERM; SIGKILL after 10 s) and resolves when the process has exited.
   * `maildev` names the mail catcher (tests take SMTP away with it).
   */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** (Re)starts one service, or `maildev`; resolves when it answers its health check. */
  start(name: string): Promise<void>;
  /** SIGTERM to every service (SIGKILL after 10 s), then MailDev; idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_MAIL = { smtpPort: 1025, webPort: 1080 };
const STOP_GRACE_MS = 10_000;

interface Slot {
  spec: DiscoveredService;
  info: RunningService;
  process: ManagedProcess | undefined;
}

class System implements RunningSystem {
  readonly services: Record<string, RunningService> = {};
  readonly mail?: RunningMail;
  private readonly slots = new Map<string, Slot>();
  private readonly expected = new WeakSet<ManagedProcess>();
  private readonly healthy = new WeakSet<ManagedProcess>();
  private readonly log: (service: string, line: string) => void;
  private readonly healthTimeoutMs: number;
  private mailProcess: ManagedProcess | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly options: SystemOptions,
    specs: readonly DiscoveredService[],
  ) {
    this.log = options.log ?? createConsoleLog([...specs.map((spec) => spec.name), 'maildev']);
    this.healthTimeoutMs = options.healthTimeoutMs ?? 30_000;
    for (const spec of specs) {
      const port = options.ports?.[spec.name] ?? spec.port;
      const info: RunningService = { name: spec.name, port, url: `http://127.0.0.1:${port}`, pid: undefined };
      this.services[spec.name] = info;
      this.slots.set(spec.name, { spec, info, process: undefined });
    }
    const mail = options.mail === false ? undefined : (options.mail ?? DEFAULT_MAIL);
    if (mail) {
      this.mail = {
        ...mail,
        apiUrl: `http://127.0.0.1:${mail.webPort}/api`,
        uiUrl: `http://localhost:${mail.webPort}`,
      };
    }
  }

  /** Every port this system will listen on, with who needs it. */
  ports(): Array<{ port: number; owner: string }> {
    const ports = [...this.slots.values()].map((slot) => ({ port: slot.info.port, owner: slot.spec.name }));
    if (this.mail) {
      ports.push({ port: this.mail.smtpPort, owner: 'maildev SMTP' }, { port: this.mail.webPort, owner: 'maildev web UI' });
    }
    return ports;
  }

  /** Throws if a service has not been built. */
  assertBuilt(): void {
    const missing = [...this.slots.values()].filter((slot) => !existsSync(slot.spec.entry));
    if (missing.length > 0) {
      const list = missing.map((slot) => relative(this.options.rootDir, slot.spec.entry)).join(', ');
      throw new Error(
        `Not built: ${list} missing. Run "npm run build" first ` +
          '(and check that tsconfig.build.json references every app).',
      );
    }
  }

  async startMail(): Promise<void> {
    if (!this.mail) return;
    const script = maildevBin(this.options.rootDir);
    let forward = false;
    const mail = new ManagedProcess({
      program: { script },
      args: ['--smtp', String(this.mail.smtpPort), '--web', String(this.mail.webPort)],
      cwd: this.options.rootDir,
      env: process.env,
      onLine: (line) => {
        // MailDev prints a banner at start-up (the summary replaces it); after that, its lines
        // ("Received: ...") are worth showing.
        if (forward && line.trim() !== '') this.log('maildev', line);
        if (line.includes('Press Ctrl+C')) forward = true;
      },
      onExit: (exit) => this.onExit('maildev', mail, exit),
    });
    this.mailProcess = mail;
    await this.waitHealthy('maildev', mail, `${this.mail.apiUrl}/healthz`);
    setTimeout(() => (forward = true), 2000).unref();
  }

  async start(name: string): Promise<void> {
    if (name === 'maildev' && this.mail) {
      this.assertRunning();
      if (this.mailProcess?.running) await this.kill(name);
      await assertPortsFree([
        { port: this.mail.smtpPort, owner: 'maildev SMTP' },
        { port: this.mail.webPort, owner: 'maildev web UI' },
      ]);
      return this.startMail();
    }
    const slot = this.slot(name);
    this.assertRunning();
    if (slot.process?.running) await this.kill(name);
    if (!existsSync(slot.spec.entry)) {
      throw new Error(`${name} is not built: ${relative(this.options.rootDir, slot.spec.entry)} is missing. Run "npm run build".`);
    }
    await assertPortsFree([{ port: slot.info.port, owner: name }]);
    this.assertRunning();
    const child: ManagedProcess = new ManagedProcess({
      program: { script: slot.spec.entry, preload: this.tracingPreload(), nodeFlags: SERVICE_NODE_FLAGS },
      cwd: this.options.rootDir,
      env: this.serviceEnv(slot),
      onLine: (line) => this.log(name, line),
      onExit: (exit) => {
        if (slot.process === child) slot.info.pid = undefined;
        this.onExit(name, child, exit);
      },
    });
    slot.process = child;
    slot.info.pid = child.pid;
    await this.waitHealthy(name, child, `${slot.info.url}/health`);
  }

  async kill(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = name === 'maildev' && this.mail ? this.mailProcess : this.slot(name).process;
    if (!child) return;
    this.expected.add(child);
    await child.terminate(signal, STOP_GRACE_MS);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(
        [...this.slots.values()].map(async (slot) => {
          if (slot.process) await this.kill(slot.spec.name);
        }),
      );
      if (this.mailProcess) {
        this.expected.add(this.mailProcess);
        await this.mailProcess.terminate('SIGTERM', STOP_GRACE_MS);
      }
    })();
    return this.stopping;
  }

  /**
   * The platform's tracing preload, as every service starts with it (see the Dockerfile's CMD): it
   * starts the OpenTelemetry SDK when OTEL_EXPORTER_OTLP_ENDPOINT is set, and does nothing otherwise.
   */
  private tracingPreload(): string[] {
    const preload = join(this.options.rootDir, TRACING_PRELOAD);
    return existsSync(preload) ? [preload] : [];
  }

  private serviceEnv(slot: Slot): NodeJS.ProcessEnv {
    return {
      ...process.env,
      ...SERVICE_PROCESS_ENV,
      ...(this.mail ? { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(this.mail.smtpPort), MAILDEV_URL: `http://127.0.0.1:${this.mail.webPort}` } : {}),
      ...this.peerUrls(),
      ...this.options.env,
      PORT: String(slot.info.port),
      ...(slot.spec.database === undefined ? {} : { DATABASE_NAME: `${slot.spec.database}${this.options.databaseSuffix ?? ''}` }),
      ...this.options.serviceEnv?.[slot.spec.name],
    };
  }

  /**
   * Where each app of this system listens, as `<APP>_URL` (`USER_SERVICE_URL`, …): how the console
   * finds the services' public APIs and metrics whatever ports the runner gave them.
   */
  private peerUrls(): Record<string, string> {
    return Object.fromEntries(
      [...this.slots.values()].map((slot) => [`${slot.spec.name.toUpperCase().replace(/-/g, '_')}_URL`, slot.info.url]),
    );
  }

  /** Polls `healthUrl` until it answers 200; fails fast when the process exits. */
  private async waitHealthy(name: string, child: ManagedProcess, healthUrl: string): Promise<void> {
    await waitUntilReady(child, {
      name,
      awaiting: `GET ${healthUrl} did not answer 200`,
      timeoutMs: this.healthTimeoutMs,
      stoppedOnPurpose: () => this.expected.has(child),
      probe: async () => {
        const status = await httpStatus(healthUrl, 1000);
        return { ready: status === 200, seen: status === undefined ? 'no answer' : `last answer ${status}` };
      },
    });
    this.healthy.add(child);
  }

  private onExit(name: string, child: ManagedProcess, exit: ExitInfo): void {
    if (this.expected.has(child) || this.stopping || !this.healthy.has(child)) return;
    if (this.options.onUnexpectedExit) this.options.onUnexpectedExit(name, exit);
    else this.log(name, `*** exited unexpectedly (${describeExit(exit)}); the others keep running`);
  }

  private slot(name: string): Slot {
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`Unknown service "${name}"; this system runs: ${[...this.slots.keys()].join(', ')}`);
    return slot;
  }

  private assertRunning(): void {
    if (this.stopping) throw new Error('This system has been stopped');
  }
}

/** The MailDev CLI script, from the root's node_modules. */
function maildevBin(rootDir: string): string {
  const dir = join(rootDir, 'node_modules', 'maildev');
  const packageJson = join(dir, 'package.json');
  if (!existsSync(packageJson)) throw new Error(`MailDev is not installed (no ${packageJson}). Run "npm install".`);
  const pkg = JSON.parse(readFileSync(packageJson, 'utf8')) as { bin?: string | Record<string, string> };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.['maildev'];
  if (!bin) throw new Error(`${packageJson} declares no "maildev" binary`);
  return resolve(dir, bin);
}

/**
 * Starts MailDev (unless `mail: false`) and the services, all at once, and resolves when every
 * health URL answers 200. If a port is taken, a service is not built, or a process exits or stays
 * unhealthy during start-up, everything started so far is stopped and the promise rejects with
 * an Error saying which one and why (for a process: its last output lines).
 */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const found = discoverServices(options.rootDir);
  const wanted = options.services ?? found.map((spec) => spec.name);
  const unknown = wanted.filter((name) => !found.some((spec) => spec.name === name));
  if (unknown.length > 0) {
    throw new Error(`Unknown service(s): ${unknown.join(', ')}; apps/ has: ${found.map((s) => s.name).join(', ')}`);
  }
  for (const name of [...Object.keys(options.ports ?? {}), ...Object.keys(options.serviceEnv ?? {})]) {
    if (!found.some((spec) => spec.name === name)) throw new Error(`Options name an unknown service "${name}"`);
  }
  const system = new System(
    options,
    found.filter((spec) => wanted.includes(spec.name)),
  );
  system.assertBuilt();
  await assertPortsFree(system.ports());
  const { signal } = options;
  signal?.throwIfAborted();
  const abort = (): void => void system.stop();
  signal?.addEventListener('abort', abort, { once: true });
  try {
    // All at once: MailDev alone takes seconds to load, and nothing needs it before the first mail
    // (the email-service retries a send that finds no SMTP server).
    await Promise.all([system.startMail(), ...wanted.map((name) => system.start(name))]);
  } catch (error) {
    await system.stop();
    signal?.throwIfAborted();
    throw error;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
  return system;
}
