import { rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  findNatsServer,
  freePorts,
  isPortFree,
  startEmbeddedPostgres,
  startLocalNats,
  type LocalServer,
} from '@eventshop/dev-runner';
import { uniqueName } from '@eventshop/messaging/testing';
import { ROOT } from '@eventshop/e2e/support';

/**
 * A NATS or PostgreSQL server the fault suite owns, so it can stop and restart it under the running
 * services: on a port of its own that stays the same across restarts (the services keep their URL),
 * with its data in a folder of its own that survives them (JetStream's streams, PostgreSQL's databases).
 */
export class PrivateServer {
  private running: LocalServer | undefined;
  /** Where the server keeps its data: inside `dataDir`, or (root, from a clone `nobody` cannot enter) the embedded PostgreSQL's shared folder. */
  private keptIn: string | undefined;

  private constructor(
    private readonly launch: (port: number) => Promise<LocalServer>,
    readonly port: number,
    readonly url: string,
    private readonly dataDir: string,
  ) {}

  /** A private nats-server with JetStream and a private (embedded) PostgreSQL, on free ports. */
  static async startPair(): Promise<{ nats: PrivateServer; postgres: PrivateServer }> {
    const executable = findNatsServer();
    if (!executable) throw new Error('the fault suite needs nats-server (it owns one to stop and restart)');
    // Under the repository, beside scripts/test.mjs' .eventshop/test/ (git-ignored).
    const home = join(ROOT, '.eventshop', 'faults', uniqueName('run'));
    const [natsPort = 0, postgresPort = 0] = await freePorts(2);
    const nats = new PrivateServer(
      (port) => startLocalNats({ executable, dataDir: join(home, 'nats'), preferredPort: port }),
      natsPort,
      `nats://127.0.0.1:${natsPort}`,
      home,
    );
    const postgres = new PrivateServer(
      (port) => startEmbeddedPostgres({ dataDir: join(home, 'postgres'), port }),
      postgresPort,
      `postgres://postgres@127.0.0.1:${postgresPort}`,
      home,
    );
    await Promise.all([nats.start(), postgres.start()]);
    return { nats, postgres };
  }

  /** Starts it (again) on its port; resolves once it answers. */
  async start(): Promise<void> {
    if (this.running) return;
    if (!(await isPortFree(this.port))) throw new Error(`port ${this.port} of the fault suite's server was taken while it was down`);
    const server = await this.launch(this.port);
    // startLocalNats falls back to another port if its preferred one is taken: that would strand the services.
    if (server.port !== this.port) {
      await server.stop();
      throw new Error(`${server.name} came back on port ${server.port} instead of ${this.port}`);
    }
    this.running = server;
    this.keptIn = server.dataDir;
  }

  /**
   * Stops it with `signal` and resolves once it has exited: its graceful signal (SIGTERM for NATS,
   * SIGINT for PostgreSQL) through the server's own stop, or a brutal one (SIGKILL) sent directly.
   */
  async stop(signal: 'graceful' | 'SIGKILL' = 'graceful'): Promise<void> {
    const server = this.running;
    if (!server) return;
    this.running = undefined;
    if (signal === 'graceful' || server.pid === undefined) return server.stop();
    process.kill(server.pid, signal);
    await server.exited;
  }

  /** Stops it and deletes its data. */
  async remove(): Promise<void> {
    await this.stop();
    for (const dir of new Set([this.dataDir, this.keptIn ?? this.dataDir])) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The SMTP port the email-service talks to, in front of the mail catcher: it forwards to the catcher,
 * or refuses connections (nothing listens: what a stopped server looks like), or hangs them (accepts,
 * then never says a word: no greeting, no reply, no close — a hung relay). A hung connection stays
 * hung after the front forwards again, as with a real hung server: only the client can give up on it.
 * The catcher itself keeps running, so it keeps every mail it was given.
 */
export class SmtpFront {
  private server: Server | undefined;
  private readonly forwarding = new Set<Socket>();
  private readonly hung = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly catcherPort: number,
  ) {}

  /** Listens on `port` (which must be free) and forwards to the catcher's SMTP port. */
  static async start(port: number, catcherPort: number): Promise<SmtpFront> {
    const front = new SmtpFront(port, catcherPort);
    await front.forward();
    return front;
  }

  /** Hung connections the client has not given up on yet. */
  get hungConnections(): number {
    return this.hung.size;
  }

  /** Stops listening and drops the forwarded connections: connections are refused until `forward()` or `hang()`. */
  async refuse(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.forwarding) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  forward(): Promise<void> {
    return this.listen('forward');
  }

  hang(): Promise<void> {
    return this.listen('hang');
  }

  /** Stops listening and closes every connection, hung ones included. */
  async close(): Promise<void> {
    await this.refuse();
    for (const socket of this.hung) socket.destroy();
  }

  private async listen(mode: 'forward' | 'hang'): Promise<void> {
    await this.refuse();
    const server = createServer((client) => {
      if (mode === 'hang') return this.track(client, this.hung);
      const upstream = connect(this.catcherPort, '127.0.0.1');
      this.track(client, this.forwarding);
      this.track(upstream, this.forwarding);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.server = server;
  }

  private track(socket: Socket, set: Set<Socket>): void {
    set.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => set.delete(socket));
  }
}
