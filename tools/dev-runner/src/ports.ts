import { createServer } from 'node:net';

/** A port the runner needs is already taken by another process. */
export class PortInUseError extends Error {
  constructor(readonly taken: ReadonlyArray<{ port: number; owner: string }>) {
    super(
      taken.map(({ port, owner }) => `Port ${port} (${owner}) is already in use.`).join('\n') +
        '\nIs another copy of the system (or another program) running? Stop it, or use other ports.',
    );
    this.name = 'PortInUseError';
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** Listens on `port` (all interfaces, like the services do) and closes again: resolves whether that worked. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else reject(error);
    });
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A TCP port that is free right now (the OS picks it), for tests that must not collide. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('The OS gave no free port'))));
    });
  });
}

/** Rejects with a PortInUseError listing every port of `wanted` that is taken, or that two owners share. */
export async function assertPortsFree(wanted: ReadonlyArray<{ port: number; owner: string }>): Promise<void> {
  const owners = new Map<number, string>();
  for (const { port, owner } of wanted) {
    const other = owners.get(port);
    if (other !== undefined) throw new Error(`${owner} and ${other} are both configured for port ${port}.`);
    owners.set(port, owner);
  }
  const results = await Promise.all(wanted.map(async (item) => ({ ...item, free: await isPortFree(item.port) })));
  const taken = results.filter((item) => !item.free).map(({ port, owner }) => ({ port, owner }));
  if (taken.length > 0) throw new PortInUseError(taken);
}

/**
 * `count` distinct free ports. Asking `freePort()` several times can return the same port twice
 * (the OS may hand a just-closed port out again), so all of them are held open until every one is
 * chosen.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.unref();
          server.once('error', reject);
          server.listen({ port: 0, exclusive: true }, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  if (ports.some((port) => port === 0)) throw new Error('The OS gave no free port');
  return ports;
}
