import net from 'node:net';

/**
 * A TCP proxy a test puts between a client and a real server (PostgreSQL, NATS, SMTP) to cut the
 * line: `interrupt()` drops every open connection and refuses new ones — what the client sees while
 * the server restarts — `hang()` accepts new connections and never answers on them — a server that
 * is stuck — and `restore()` lets connections through again. It listens on a port the OS picks, so
 * it never shares one with anything else.
 */
export class TcpFaultProxy {
  private readonly open = new Set<net.Socket>();
  private mode: 'forward' | 'refuse' | 'hang' = 'forward';
  /** Connections accepted since the proxy was started; a test awaits a client's attempt with it. */
  connectionsAccepted = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpFaultProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const proxy = new TcpFaultProxy(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (client) => proxy.forward(client, target));
    return proxy;
  }

  /** `url` with its host and port replaced by the proxy's. */
  route(url: string): string {
    const routed = new URL(url);
    routed.hostname = '127.0.0.1';
    routed.port = String(this.port);
    return routed.toString().replace(/\/$/, '');
  }

  /** Drops every open connection now; new ones are closed as soon as they arrive until `restore()`. */
  interrupt(): void {
    this.mode = 'refuse';
    this.dropAll();
  }

  /** Drops every open connection now; new ones are accepted and then left in silence until `restore()`. */
  hang(): void {
    this.mode = 'hang';
    this.dropAll();
  }

  /** Forwards new connections again; those left hanging are dropped. */
  restore(): void {
    if (this.mode === 'hang') this.dropAll();
    this.mode = 'forward';
  }

  async close(): Promise<void> {
    this.interrupt();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private dropAll(): void {
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }

  private forward(client: net.Socket, target: { host: string; port: number }): void {
    this.connectionsAccepted++;
    if (this.mode === 'refuse') {
      client.destroy();
      return;
    }
    if (this.mode === 'hang') {
      this.open.add(client);
      client.on('error', () => undefined);
      client.on('close', () => this.open.delete(client));
      return;
    }
    const upstream = net.connect(target.port, target.host);
    for (const [socket, peer] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.open.add(socket);
      socket.on('error', () => peer.destroy());
      socket.on('close', () => {
        this.open.delete(socket);
        peer.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
