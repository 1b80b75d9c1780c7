import { checkNats, checkPostgres, type InfrastructureComponent } from './infrastructure.js';
import { ManagedProcess, waitUntilReady, type ExitInfo } from './managed-process.js';

/**
 * A PostgreSQL or NATS server the runner started itself because none was running. Its data folder
 * outlives it: the next start reuses it.
 */
export interface LocalServer {
  component: InfrastructureComponent;
  /** How it is called in messages, e.g. `embedded PostgreSQL 18`. */
  name: string;
  /** What the services connect to, e.g. `postgres://postgres@127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Where it keeps its data. */
  dataDir: string;
  /** Its process id; undefined once it has exited. */
  readonly pid: number | undefined;
  /** Resolves once it has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** Stops it (its graceful signal, SIGKILL after 10 s) and resolves once it has exited; idempotent. */
  stop(): Promise<void>;
}

export interface LocalServerSpec {
  component: InfrastructureComponent;
  name: string;
  executable: string;
  args: string[];
  url: string;
  port: number;
  dataDir: string;
  /** Run as this user instead of the runner's (root only). */
  runAs?: { uid: number; gid: number };
  /** The signal that shuts it down cleanly: SIGINT for PostgreSQL ("fast": SIGTERM waits for every client). */
  stopSignal: NodeJS.Signals;
  /** How long it may take to answer on its protocol. */
  timeoutMs: number;
  /** Called with its last output lines when it exits without being asked to, after it was up. */
  onUnexpectedExit?: (exit: ExitInfo, lastLines: string[]) => void;
  /** Aborting it during start-up stops the process; the start then rejects with the abort reason. */
  signal?: AbortSignal;
}

/**
 * Starts `spec.executable` and resolves once the server answers on its protocol (the same check
 * as for a server that was already running), or rejects with a ServiceStartError carrying its
 * last output lines. Its output is kept, not printed: these servers talk a lot and say nothing
 * a newcomer needs unless they fail.
 */
export async function startLocalServer(spec: LocalServerSpec): Promise<LocalServer> {
  spec.signal?.throwIfAborted();
  let stopping: Promise<void> | undefined;
  let ready = false;
  const child: ManagedProcess = new ManagedProcess({
    program: { executable: spec.executable },
    args: spec.args,
    cwd: spec.dataDir,
    env: process.env,
    runAs: spec.runAs,
    onLine: () => {},
    onExit: (exit) => {
      if (ready && !stopping) spec.onUnexpectedExit?.(exit, child.lastLines(12));
    },
  });
  const stop = (): Promise<void> => (stopping ??= child.terminate(spec.stopSignal).then(() => undefined));
  const abort = (): void => void stop();
  spec.signal?.addEventListener('abort', abort, { once: true });
  const check = spec.component === 'PostgreSQL' ? checkPostgres : checkNats;
  try {
    await waitUntilReady(child, {
      name: spec.name,
      awaiting: `it did not answer on port ${spec.port}`,
      timeoutMs: spec.timeoutMs,
      stopSignal: spec.stopSignal,
      stoppedOnPurpose: () => stopping !== undefined,
      probe: async () => {
        const problem = await check(spec.url, 1000);
        return { ready: problem === undefined, seen: problem?.reason ?? 'it answered' };
      },
    });
  } catch (error) {
    spec.signal?.throwIfAborted();
    throw error;
  } finally {
    spec.signal?.removeEventListener('abort', abort);
  }
  ready = true;
  return {
    component: spec.component,
    name: spec.name,
    url: spec.url,
    port: spec.port,
    dataDir: spec.dataDir,
    get pid() {
      return child.running ? child.pid : undefined;
    },
    exited: child.exited,
    stop,
  };
}
