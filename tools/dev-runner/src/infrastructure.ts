import { connect, type Socket } from 'node:net';

export type InfrastructureComponent = 'PostgreSQL' | 'NATS';

/** One piece of infrastructure that is not usable, with what to do about it. */
export interface InfrastructureProblem {
  component: InfrastructureComponent;
  /** Where it was looked for, e.g. `127.0.0.1:5432`. */
  address: string;
  /** Why it is not usable, in a few words (e.g. `nothing is listening there`). */
  reason: string;
  /** What to do about it, as printed: one or more lines, e.g. `Start it with:  nats-server -js`. */
  fix: string;
  /** The variable that points the services elsewhere. */
  envVar: 'POSTGRES_URL' | 'NATS_URL';
}

/** Start commands for this kind of machine (Debian PostgreSQL packages, a local nats-server). */
export const START_COMMANDS: Readonly<Record<InfrastructureComponent, string>> = {
  PostgreSQL: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  NATS: 'nats-server -js',
};

/** How to get `nats-server`, one line per kind of machine. */
export const NATS_INSTALL_COMMANDS: ReadonlyArray<{ on: string; command: string }> = [
  { on: 'Debian/Ubuntu', command: 'sudo apt-get install nats-server' },
  { on: 'macOS', command: 'brew install nats-server' },
  { on: 'Docker', command: 'docker run -p 4222:4222 nats -js' },
];

/**
 * PostgreSQL and/or NATS cannot be used. The message names exactly which, why, and what to do;
 * it is meant to be printed as is (the stack is only the message).
 */
export class InfrastructureUnavailableError extends Error {
  constructor(readonly problems: readonly InfrastructureProblem[]) {
    super(
      problems
        .map(
          (p) =>
            `${p.component} is not available at ${p.address}: ${p.reason}.\n` +
            `${indent(p.fix)}\n` +
            `  (or set ${p.envVar} to a running server)`,
        )
        .join('\n'),
    );
    this.name = 'InfrastructureUnavailableError';
    this.stack = `${this.name}: ${this.message}`;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

export interface CheckInfrastructureOptions {
  /** PostgreSQL server URL (no database needed), e.g. `postgres://postgres@127.0.0.1:5432`. */
  postgresUrl: string;
  /** NATS URL, e.g. `nats://127.0.0.1:4222` (the first of a comma-separated list is checked). */
  natsUrl: string;
  /** How long each server may take to answer; default 3000 ms. */
  timeoutMs?: number;
}

/**
 * Checks that PostgreSQL and NATS (with JetStream) answer on their protocols, both at once.
 * Resolves when both do; otherwise rejects with an InfrastructureUnavailableError naming each
 * one that does not. Nothing is created or changed on either server.
 */
export async function checkInfrastructure(options: CheckInfrastructureOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const problems = (
    await Promise.all([checkPostgres(options.postgresUrl, timeoutMs), checkNats(options.natsUrl, timeoutMs)])
  ).filter((problem): problem is InfrastructureProblem => problem !== undefined);
  if (problems.length > 0) throw new InfrastructureUnavailableError(problems);
}

type Target = { host: string; port: number } | { path: string };

function describeTarget(target: Target): string {
  return 'path' in target ? target.path : `${target.host}:${target.port}`;
}

function reasonFor(error: unknown, timeoutMs: number): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOENT':
      return 'nothing is listening there';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host';
    case 'TIMEOUT':
      return `no answer within ${timeoutMs} ms`;
    case 'ECONNRESET':
    case 'EPIPE':
      return 'the connection was closed before it answered';
    default:
      return code ?? (error instanceof Error ? error.message : String(error));
  }
}

/**
 * Opens a connection to `target`, writes `greeting` (if any) and collects the bytes until
 * `complete(received)` returns a verdict; rejects on socket errors and after `timeoutMs`.
 */
function converse<T>(
  target: Target,
  greeting: Buffer | undefined,
  complete: (received: Buffer, socket: Socket) => T | undefined,
  timeoutMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const socket = 'path' in target ? connect({ path: target.path }) : connect({ host: target.host, port: target.port });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (error: unknown, value?: T): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.end();
      socket.destroySoon();
      if (error === undefined) resolve(value as T);
      else reject(error);
    };
    const timer = setTimeout(() => finish(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })), timeoutMs);
    socket.on('connect', () => {
      if (greeting) socket.write(greeting);
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      try {
        const verdict = complete(received, socket);
        if (verdict !== undefined) finish(undefined, verdict);
      } catch (error) {
        finish(error);
      }
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(Object.assign(new Error('closed'), { code: 'ECONNRESET' })));
  });
}

// --- PostgreSQL -------------------------------------------------------------------------------

function postgresTarget(url: URL): Target {
  const port = Number(url.port || url.searchParams.get('port') || 5432);
  const hostParam = url.searchParams.get('host');
  if (hostParam?.startsWith('/')) return { path: `${hostParam}/.s.PGSQL.${port}` };
  return { host: decodeURIComponent(url.hostname).replace(/^\[|\]$/g, '') || '127.0.0.1', port };
}

/** A protocol 3.0 StartupMessage for `user` on database `postgres`. */
function startupMessage(user: string): Buffer {
  const params = Buffer.from(`user\0${user}\0database\0postgres\0\0`, 'utf8');
  const message = Buffer.alloc(8 + params.length);
  message.writeInt32BE(message.length, 0);
  message.writeInt32BE(196608, 4); // protocol 3.0
  params.copy(message, 8);
  return message;
}

type PostgresVerdict = { ok: true } | { ok: false; reason: string };

/** Reads the server's first message: an authentication request means PostgreSQL is up. */
function readPostgresAnswer(received: Buffer, socket: Socket): PostgresVerdict | undefined {
  const type = String.fromCharCode(received[0] ?? 0);
  if (type !== 'R' && type !== 'E') return { ok: false, reason: 'something else is listening there (not PostgreSQL)' };
  if (received.length < 5) return undefined;
  const length = received.readInt32BE(1);
  if (received.length < 1 + length) return undefined;
  if (type === 'R') {
    // AuthenticationOk (trust): say goodbye properly so the server logs nothing. Any other request
    // (a password) is left unanswered, which the server also accepts silently.
    if (received.readInt32BE(5) === 0) socket.write(Buffer.from([0x58, 0, 0, 0, 4]));
    return { ok: true };
  }
  const fields = received.subarray(5, 1 + length).toString('utf8').split('\0');
  const message = fields.find((field) => field.startsWith('M'))?.slice(1) ?? 'unknown error';
  // A missing role or database still proves the server is up; the services report those themselves.
  const code = fields.find((field) => field.startsWith('C'))?.slice(1);
  if (code === '28000' || code === '3D000' || code === '28P01') return { ok: true };
  return { ok: false, reason: `it refused the connection: ${message}` };
}

/** Whether PostgreSQL answers at `postgresUrl`: undefined when it does, else what is wrong. */
export async function checkPostgres(postgresUrl: string, timeoutMs: number): Promise<InfrastructureProblem | undefined> {
  let url: URL;
  try {
    url = new URL(postgresUrl);
  } catch {
    return problem('PostgreSQL', postgresUrl, 'the URL is not valid', 'POSTGRES_URL');
  }
  const target = postgresTarget(url);
  const user = decodeURIComponent(url.username) || 'postgres';
  try {
    const verdict = await converse(target, startupMessage(user), readPostgresAnswer, timeoutMs);
    return verdict.ok ? undefined : problem('PostgreSQL', describeTarget(target), verdict.reason, 'POSTGRES_URL');
  } catch (error) {
    return problem('PostgreSQL', describeTarget(target), reasonFor(error, timeoutMs), 'POSTGRES_URL');
  }
}

// --- NATS -------------------------------------------------------------------------------------

function natsTarget(natsUrl: string): { host: string; port: number } {
  const first = natsUrl.split(',')[0]?.trim() ?? '';
  const url = new URL(/^[a-z]+:\/\//i.test(first) ? first : `nats://${first}`);
  return { host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(url.port || 4222) };
}

type NatsVerdict = { ok: true } | { ok: false; reason: string; fix?: string };

/** NATS greets every client with `INFO {json}\r\n`; its `jetstream` flag says whether JetStream is on. */
function readNatsInfo(received: Buffer): NatsVerdict | undefined {
  const text = received.toString('utf8');
  const head = text.slice(0, 5);
  if (!'INFO '.startsWith(head)) return { ok: false, reason: 'something else is listening there (not NATS)' };
  const end = text.indexOf('\r\n');
  if (end < 0) return received.length > 64 * 1024 ? { ok: false, reason: 'its greeting is not NATS' } : undefined;
  let info: { jetstream?: unknown };
  try {
    info = JSON.parse(text.slice(5, end)) as { jetstream?: unknown };
  } catch {
    return { ok: false, reason: 'something else is listening there (not NATS)' };
  }
  if (info.jetstream !== true) {
    return {
      ok: false,
      reason: 'NATS is running without JetStream',
      fix: `Restart it with JetStream enabled:  ${START_COMMANDS.NATS}`,
    };
  }
  return { ok: true };
}

/** Whether NATS with JetStream answers at `natsUrl`: undefined when it does, else what is wrong. */
export async function checkNats(natsUrl: string, timeoutMs: number): Promise<InfrastructureProblem | undefined> {
  let target: { host: string; port: number };
  try {
    target = natsTarget(natsUrl);
  } catch {
    return problem('NATS', natsUrl, 'the URL is not valid', 'NATS_URL');
  }
  try {
    const verdict = await converse(target, undefined, readNatsInfo, timeoutMs);
    return verdict.ok ? undefined : problem('NATS', describeTarget(target), verdict.reason, 'NATS_URL', verdict.fix);
  } catch (error) {
    return problem('NATS', describeTarget(target), reasonFor(error, timeoutMs), 'NATS_URL');
  }
}

function problem(
  component: InfrastructureComponent,
  address: string,
  reason: string,
  envVar: InfrastructureProblem['envVar'],
  fix = `Start it with:  ${START_COMMANDS[component]}`,
): InfrastructureProblem {
  return { component, address, reason, fix, envVar };
}
