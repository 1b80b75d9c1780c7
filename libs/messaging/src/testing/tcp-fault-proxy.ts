import net from 'node:net';

/**
 * A TCP proxy a test puts between a client and a real server (PostgreSQL, NATS) to cut the line:
 * `interrupt()` drops every open connection and refuses new ones — what the client sees while the
 * server restarts — and `restore()` lets connections through again. It listens on a port the OS
 * picks, so it never shares one with anything else.
 */
export class TcpFaultProxy {
  private readonly open = new Set<net.Socket>();
  private down = false;

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
    this.down = true;
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }

  restore(): void {
    this.down = false;
  }

  async close(): Promise<void> {
    this.interrupt();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: net.Socket, target: { host: string; port: number }): void {
    if (this.down) {
      client.destroy();
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
