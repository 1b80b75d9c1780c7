import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import { checkInfrastructure, InfrastructureUnavailableError } from './infrastructure.js';
import { freePort } from './ports.js';

/** A TCP server on 127.0.0.1 that hands each connection to `onConnection`. */
async function fakeServer(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** Answers a StartupMessage like PostgreSQL with trust auth: AuthenticationOk. */
const fakePostgres = (socket: Socket): void => {
  socket.once('data', () => socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0])));
  socket.on('error', () => {});
};
/** Greets like a NATS server. */
const fakeNats =
  (jetstream: boolean) =>
  (socket: Socket): void => {
    socket.write(`INFO ${JSON.stringify({ server_id: 'fake', version: '2.10.0', jetstream })}\r\n`);
    socket.on('error', () => {});
  };

const servers: Server[] = [];
const sockets = new Set<Socket>();
let postgresUrl: string;
let natsUrl: string;
let natsWithoutJetStreamUrl: string;
let silentUrl: string;
let closedPort: number;

beforeAll(async () => {
  const pg = await fakeServer(fakePostgres);
  const nats = await fakeServer(fakeNats(true));
  const plainNats = await fakeServer(fakeNats(false));
  const silent = await fakeServer((socket) => socket.on('error', () => {}));
  servers.push(pg.server, nats.server, plainNats.server, silent.server);
  postgresUrl = `postgres://postgres@127.0.0.1:${pg.port}`;
  natsUrl = `nats://127.0.0.1:${nats.port}`;
  natsWithoutJetStreamUrl = `nats://127.0.0.1:${plainNats.port}`;
  silentUrl = `127.0.0.1:${silent.port}`;
  closedPort = await freePort();
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

async function failure(options: { postgresUrl: string; natsUrl: string; timeoutMs?: number }): Promise<InfrastructureUnavailableError> {
  const error = await checkInfrastructure(options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InfrastructureUnavailableError);
  return error as InfrastructureUnavailableError;
}

describe('checkInfrastructure', () => {
  it('resolves when PostgreSQL and NATS with JetStream answer', async () => {
    await expect(checkInfrastructure({ postgresUrl, natsUrl })).resolves.toBeUndefined();
  });

  it('names PostgreSQL, and only PostgreSQL, when its port is closed', async () => {
    const error = await failure({ postgresUrl: `postgres://postgres@127.0.0.1:${closedPort}`, natsUrl });
    expect(error.problems.map((p) => p.component)).toEqual(['PostgreSQL']);
    expect(error.message).toContain(`PostgreSQL is not available at 127.0.0.1:${closedPort}: nothing is listening there`);
    expect(error.message).toContain('\n  Start it with:  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n');
    expect(error.message).toContain('\n  (or set POSTGRES_URL to a running server)');
    expect(error.message).not.toContain('NATS');
    expect(error.stack).not.toMatch(/\n\s+at /);
  });

  it('names NATS, and only NATS, when its port is closed', async () => {
    const error = await failure({ postgresUrl, natsUrl: `nats://127.0.0.1:${closedPort}` });
    expect(error.problems.map((p) => p.component)).toEqual(['NATS']);
    expect(error.message).toContain(`NATS is not available at 127.0.0.1:${closedPort}: nothing is listening there`);
    expect(error.message).toContain('nats-server -js');
    expect(error.message).not.toContain('PostgreSQL');
  });

  it('names both when both are down', async () => {
    const error = await failure({
      postgresUrl: `postgres://postgres@127.0.0.1:${closedPort}`,
      natsUrl: `nats://127.0.0.1:${closedPort}`,
    });
    expect(error.problems.map((p) => p.component)).toEqual(['PostgreSQL', 'NATS']);
    expect(error.message).toMatch(/PostgreSQL is not available[\s\S]*NATS is not available/);
  });

  it('notices NATS without JetStream', async () => {
    const error = await failure({ postgresUrl, natsUrl: natsWithoutJetStreamUrl });
    expect(error.message).toContain('NATS is running without JetStream');
    expect(error.message).toContain('\n  Restart it with JetStream enabled:  nats-server -js\n');
  });

  it('notices another kind of server, and one that never answers', async () => {
    const error = await failure({ postgresUrl: natsUrl.replace('nats:', 'postgres:'), natsUrl: silentUrl, timeoutMs: 300 });
    expect(error.message).toContain('something else is listening there (not PostgreSQL)');
    expect(error.message).toContain('NATS is not available at 127.0.0.1');
    expect(error.message).toContain('no answer within 300 ms');
  });
});
