import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** "code 1", "signal SIGKILL" — for messages. */
export function describeExit(exit: ExitInfo): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code ?? 'unknown'}`;
}

/**
 * The `--import` flag that preloads watchdog.js into a child, so that it stops when the runner
 * dies without stopping it. From the sources (under Jest) there is no .js file: the .ts text,
 * which is plain JavaScript, goes as a data: URL instead.
 */
export const WATCHDOG_IMPORT = ((): string => {
  const compiled = new URL('./watchdog.js', import.meta.url);
  if (existsSync(compiled)) return `--import=${compiled.href}`;
  const source = readFileSync(new URL('./watchdog.ts', import.meta.url), 'utf8');
  return `--import=data:text/javascript,${encodeURIComponent(source)}`;
})();

/** Every live child of this process, so they can be killed if the runner exits without stopping them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killLiveChildrenOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

export interface ManagedProcessOptions {
  /**
   * What to run: a script with this Node binary (`process.execPath`, the watchdog preloaded, then
   * `preload`'s modules, each with `--import`, after `nodeFlags`), or an executable as it is (e.g.
   * `postgres`; no watchdog, so it outlives a runner killed with SIGKILL).
   */
  program: { script: string; preload?: readonly string[]; nodeFlags?: readonly string[] } | { executable: string };
  args?: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Run as this user and group instead (needs root; e.g. PostgreSQL refuses to run as root). */
  runAs?: { uid: number; gid: number };
  /** Every output line, as it comes. */
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Called once when the process has exited and its output is read. */
  onExit: (exit: ExitInfo) => void;
}

/** A child Node process whose output is split into lines, with its last lines kept for error messages. */
export class ManagedProcess {
  readonly child: ChildProcess;
  /** Resolves once the process has exited and its output is read (never rejects). */
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;
  private readonly tail: string[] = [];

  constructor(options: ManagedProcessOptions) {
    killLiveChildrenOnExit();
    // Detached: a new process group, so Ctrl-C in the terminal reaches only the runner, which then
    // stops each child once (a second signal during a graceful shutdown would cut it short).
    const { program } = options;
    const [command, args] =
      'script' in program
        ? [
            process.execPath,
            [
              ...(program.nodeFlags ?? []),
              WATCHDOG_IMPORT,
              ...(program.preload ?? []).map((file) => `--import=${pathToFileURL(file).href}`),
              program.script,
              ...(options.args ?? []),
            ],
          ]
        : [program.executable, options.args ?? []];
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      uid: options.runAs?.uid,
      gid: options.runAs?.gid,
    });
    live.add(this.child);
    const streamsClosed: Array<Promise<void>> = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const input = this.child[stream];
      if (!input) continue;
      const lines = createInterface({ input, crlfDelay: Infinity });
      lines.on('line', (line) => {
        this.remember(line);
        options.onLine(line, stream);
      });
      streamsClosed.push(new Promise((resolve) => lines.once('close', resolve)));
    }
    this.exited = new Promise<ExitInfo>((resolve) => {
      const done = (exit: ExitInfo): void => {
        if (this.exitInfo) return;
        this.exitInfo = exit;
        live.delete(this.child);
        // Let the last lines arrive (they carry the reason), but never wait long for them.
        void Promise.race([Promise.all(streamsClosed), new Promise((r) => setTimeout(r, 1000).unref())]).then(() => {
          options.onExit(exit);
          resolve(exit);
        });
      };
      this.child.once('exit', (code, signal) => done({ code, signal }));
      this.child.once('error', (error) => {
        this.remember(`cannot run ${command}: ${error.message}`);
        done({ code: null, signal: null });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get exit(): ExitInfo | undefined {
    return this.exitInfo;
  }

  /** The last `count` output lines (stdout and stderr, in order), each cut to a sensible length. */
  lastLines(count = 8): string[] {
    return this.tail.slice(-count).map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line));
  }

  /** Sends `signal` (unless it has exited) and resolves when it has exited; SIGKILL after `graceMs`. */
  async terminate(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<ExitInfo> {
    if (this.running) {
      this.signal(signal);
      if (signal !== 'SIGKILL') {
        const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
        void this.exited.then(() => clearTimeout(timer));
      }
    }
    return this.exited;
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      this.child.kill(signal);
    } catch {
      // it exited in the meantime
    }
  }

  private remember(line: string): void {
    this.tail.push(line);
    if (this.tail.length > 50) this.tail.shift();
  }
}

/** GET `url` once, without keep-alive; resolves with the status, or undefined when nothing answered. */
export function httpStatus(url: string, timeoutMs = 1000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A process did not come up; the message carries its last output lines. */
export class ServiceStartError extends Error {
  constructor(
    readonly service: string,
    why: string,
    readonly lastLines: readonly string[],
  ) {
    super(
      `${service} did not start: ${why}.` +
        (lastLines.length > 0 ? `\nIts last output:\n${lastLines.map((line) => `  | ${line}`).join('\n')}` : ''),
    );
    this.name = 'ServiceStartError';
    this.stack = `${this.name}: ${this.message}`;
  }
}

export interface ReadinessOptions {
  /** The process's name in messages, e.g. `user-service`. */
  name: string;
  /** One look: whether it is ready, and what was seen (for the time-out message, e.g. `last answer 503`). */
  probe: () => Promise<{ ready: boolean; seen: string }>;
  /** What not being ready in time means, e.g. `GET http://127.0.0.1:3001/health did not answer 200`. */
  awaiting: string;
  timeoutMs: number;
  /** The signal that stops it when it takes too long; default SIGTERM. */
  stopSignal?: NodeJS.Signals;
  /** Whether an exit was asked for (the message then says it was stopped, not that it exited). */
  stoppedOnPurpose?: () => boolean;
}

const POLL_INTERVAL_MS = 100;

/**
 * Probes every 100 ms until the process is ready. Rejects with a ServiceStartError (carrying its
 * last output lines) as soon as the process exits, or when `timeoutMs` passes, after stopping it.
 */
export async function waitUntilReady(child: ManagedProcess, options: ReadinessOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (!child.running) {
      const exit = await child.exited;
      const why = options.stoppedOnPurpose?.() ? `it was stopped (${describeExit(exit)})` : `it exited with ${describeExit(exit)}`;
      throw new ServiceStartError(options.name, why, child.lastLines());
    }
    const { ready, seen } = await options.probe();
    if (ready && child.running) return;
    if (Date.now() >= deadline) {
      await child.terminate(options.stopSignal ?? 'SIGTERM');
      throw new ServiceStartError(options.name, `${options.awaiting} within ${options.timeoutMs} ms (${seen})`, child.lastLines());
    }
    await Promise.race([sleep(POLL_INTERVAL_MS), child.exited]);
  }
}
