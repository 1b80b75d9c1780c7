import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
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
    // Under the repository, not the system temp folder: PostgreSQL runs as `nobody` when we are root,
    // and every folder above its data must be open to it (as for scripts/test.mjs' .eventshop/test/).
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
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * Stands in for an SMTP server that accepts connections and then never says a word: no greeting,
 * no reply, no close — what a hung mail relay looks like to a client.
 */
export class HungTcpServer {
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  /** Listens on `port` (which must be free) on 127.0.0.1. */
  static async listen(port: number): Promise<HungTcpServer> {
    const server = createServer();
    const hung = new HungTcpServer(server);
    server.on('connection', (socket) => {
      hung.sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => hung.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    return hung;
  }

  /** How many connections it is holding open right now. */
  get connections(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
