import { describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { assertPortsFree, freePort, freePorts, PortInUseError } from './ports.js';

function listen(port: number, host?: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host }, () => resolve(server));
  });
}

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

describe('freePort', () => {
  it('returns a port nobody listens on, which can then be used', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = await listen(port);
    await close(server);
  });
});

describe('assertPortsFree', () => {
  it('resolves when every port is free', async () => {
    await expect(assertPortsFree([{ port: await freePort(), owner: 'alpha' }])).resolves.toBeUndefined();
  });

  it('names the owner of each taken port, also when only 127.0.0.1 is taken', async () => {
    const busy = await listen(await freePort(), '127.0.0.1');
    const port = (busy.address() as { port: number }).port;
    const free = await freePort();
    try {
      const failure = assertPortsFree([
        { port, owner: 'user-service' },
        { port: free, owner: 'email-service' },
      ]);
      await expect(failure).rejects.toBeInstanceOf(PortInUseError);
      await expect(failure).rejects.toThrow(`Port ${port} (user-service) is already in use.`);
      await expect(failure).rejects.not.toThrow('email-service');
    } finally {
      await close(busy);
    }
  });

  it('rejects two owners of one port', async () => {
    const port = await freePort();
    await expect(
      assertPortsFree([
        { port, owner: 'a' },
        { port, owner: 'b' },
      ]),
    ).rejects.toThrow(`b and a are both configured for port ${port}`);
  });
});

describe('freePorts', () => {
  it('gives distinct ports that can all be listened on', async () => {
    const ports = await freePorts(12);
    expect(new Set(ports).size).toBe(12);
    for (const port of ports) expect(port).toBeGreaterThan(0);
  });
});
