import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { startLocalServer, type LocalServer } from './local-server.js';
import type { ExitInfo } from './managed-process.js';
import { freePort, isPortFree } from './ports.js';

/**
 * Where `nats-server` is looked for: the PATH, then the sbin folders, which Debian's and Ubuntu's
 * `nats-server` package installs into and which are not on a normal user's PATH.
 */
export function natsServerSearchPath(path = process.env['PATH'] ?? ''): string[] {
  const dirs = path.split(delimiter).filter(Boolean);
  if (process.platform === 'win32') return dirs;
  return [...dirs, ...['/usr/local/sbin', '/usr/sbin'].filter((dir) => !dirs.includes(dir))];
}

/** The first executable `nats-server` in `dirs`, or undefined. */
export function findNatsServer(dirs: readonly string[] = natsServerSearchPath()): string | undefined {
  const file = process.platform === 'win32' ? 'nats-server.exe' : 'nats-server';
  for (const dir of dirs) {
    const candidate = join(dir, file);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface LocalNatsOptions {
  /** The nats-server executable (see findNatsServer). */
  executable: string;
  /** JetStream's storage folder; streams and their messages survive a restart. */
  dataDir: string;
  /** The port to use if it is free (NATS' default 4222); otherwise any free port is used. */
  preferredPort: number;
  /** How long it may take to answer; default 15000 ms. */
  timeoutMs?: number;
  onUnexpectedExit?: (exit: ExitInfo, lastLines: string[]) => void;
  /** Aborting it during start-up stops it; the start then rejects with the abort reason. */
  signal?: AbortSignal;
}

/** Starts nats-server with JetStream on 127.0.0.1 and resolves once it answers with JetStream on. */
export async function startLocalNats(options: LocalNatsOptions): Promise<LocalServer> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const port = (await isPortFree(options.preferredPort)) ? options.preferredPort : await freePort();
  return startLocalServer({
    component: 'NATS',
    name: 'nats-server',
    executable: options.executable,
    args: ['--jetstream', '--store_dir', dataDir, '--addr', '127.0.0.1', '--port', String(port), '--server_name', 'eventshop-dev'],
    url: `nats://127.0.0.1:${port}`,
    port,
    dataDir,
    stopSignal: 'SIGTERM',
    timeoutMs: options.timeoutMs ?? 15_000,
    onUnexpectedExit: options.onUnexpectedExit,
    signal: options.signal,
  });
}
