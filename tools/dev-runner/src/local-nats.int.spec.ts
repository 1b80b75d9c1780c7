// The NATS fallback of `npm start`, for real: with nothing at the "default" address (a free port
// of this test's own), provideInfrastructure starts nats-server with JetStream (found on the
// machine, e.g. /usr/sbin/nats-server), on that port when free and elsewhere when not; without
// nats-server it names the commands that install it. PostgreSQL is the machine's.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkNats, InfrastructureUnavailableError } from './infrastructure.js';
import { findNatsServer } from './local-nats.js';
import { freePorts, isPortFree } from './ports.js';
import {
  DEFAULT_NATS_URL,
  DEFAULT_POSTGRES_URL,
  provideInfrastructure,
  type ProvidedInfrastructure,
  type ProvideInfrastructureOptions,
} from './provide-infrastructure.js';
import { createFakeWorkspace, isAlive } from './testing/fake-workspace.js';

jest.setTimeout(30_000);

const machinePostgresUrl = process.env['POSTGRES_URL'] || DEFAULT_POSTGRES_URL;
const machineNatsUrl = process.env['NATS_URL'] || DEFAULT_NATS_URL;

let rootDir: string;
let removeWorkspace: () => void;
/** Ports nothing listens on: "default addresses" where no NATS answers. */
let silentPort: number;
let takenPort: number;
/** Holds `takenPort`, answering like something that is not NATS. */
let squatter: Server;
const provided: ProvidedInfrastructure[] = [];

beforeAll(async () => {
  ({ rootDir, remove: removeWorkspace } = createFakeWorkspace({}));
  [silentPort = 0, takenPort = 0] = await freePorts(2);
  squatter = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  await new Promise<void>((resolve) => squatter.listen(takenPort, '127.0.0.1', resolve));
});

afterAll(async () => {
  await Promise.all(provided.map((infrastructure) => infrastructure.stop()));
  await new Promise((resolve) => squatter.close(resolve));
  removeWorkspace();
});

async function provide(defaultNatsPort: number, options: Partial<ProvideInfrastructureOptions> = {}) {
  const status: string[] = [];
  const infrastructure = await provideInfrastructure({
    rootDir,
    postgresUrl: machinePostgresUrl,
    defaultNatsUrl: `nats://127.0.0.1:${defaultNatsPort}`,
    onStatus: (line) => status.push(line),
    ...options,
  });
  provided.push(infrastructure);
  return { infrastructure, status };
}

describe('npm start without NATS at the default address', () => {
  it('finds nats-server on this machine (the tests below need it)', () => {
    expect(findNatsServer()).toMatch(/nats-server$/);
  });

  it('starts nats-server with JetStream on the default port, and stops it again', async () => {
    expect(await isPortFree(silentPort)).toBe(true);
    const { infrastructure, status } = await provide(silentPort);
    const nats = infrastructure.nats.started!;
    expect(nats).toMatchObject({ component: 'NATS', port: silentPort, url: `nats://127.0.0.1:${silentPort}` });
    expect(infrastructure.env).toEqual({ POSTGRES_URL: machinePostgresUrl, NATS_URL: nats.url });
    expect(infrastructure.postgres).toEqual({ url: machinePostgresUrl }); // set: used, never started
    expect(status.join('\n')).toContain(`No NATS at 127.0.0.1:${silentPort} (nothing is listening there): starting`);
    expect(status.join('\n')).toContain(`Started nats-server with JetStream on port ${silentPort} (${nats.url}).`);

    // A real JetStream round trip: create a stream, publish, read the stream's state.
    const connection = await connect({ servers: nats.url });
    try {
      const manager = await jetstreamManager(connection);
      await manager.streams.add({ name: 'DEV_RUNNER_PROBE', subjects: ['dev-runner.probe'] });
      const ack = await jetstream(connection).publish('dev-runner.probe', 'hello');
      expect(ack).toMatchObject({ stream: 'DEV_RUNNER_PROBE', seq: 1 });
      expect((await manager.streams.info('DEV_RUNNER_PROBE')).state.messages).toBe(1);
    } finally {
      await connection.close();
    }
    expect(readdirSync(join(rootDir, '.eventshop', 'nats'))).toContain('jetstream');

    const pid = nats.pid;
    expect(isAlive(pid)).toBe(true);
    await infrastructure.stop();
    expect(isAlive(pid)).toBe(false);
    expect(await checkNats(nats.url, 1000)).toMatchObject({ reason: 'nothing is listening there' });
    expect(await checkNats(machineNatsUrl, 1000)).toBeUndefined(); // the machine's NATS is left alone
  });

  it('uses another free port when something else holds the default one, and tells', async () => {
    const { infrastructure, status } = await provide(takenPort);
    const nats = infrastructure.nats.started!;
    expect(nats.port).not.toBe(takenPort);
    expect(infrastructure.env.NATS_URL).toBe(`nats://127.0.0.1:${nats.port}`);
    expect(await checkNats(infrastructure.env.NATS_URL, 1000)).toBeUndefined();
    expect(status.join('\n')).toContain(`No NATS at 127.0.0.1:${takenPort} (something else is listening there (not NATS))`);
    expect(status.join('\n')).toContain(`on port ${nats.port} (port ${takenPort} is taken)`);
    await infrastructure.stop();
    expect(await checkNats(infrastructure.env.NATS_URL, 1000)).toBeDefined();
  });

  it('without nats-server, names the command that gets it on each kind of machine, and starts nothing', async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), 'no-nats-server-'));
    const silentPostgresPort = (await freePorts(1))[0]!;
    const error = await provide(silentPort, {
      postgresUrl: undefined,
      defaultPostgresUrl: `postgres://postgres@127.0.0.1:${silentPostgresPort}`,
      natsSearchPath: [emptyDir],
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InfrastructureUnavailableError);
    expect((error as InfrastructureUnavailableError).problems.map((p) => p.component)).toEqual(['NATS']);
    expect((error as Error).message).toBe(
      [
        `NATS is not available at 127.0.0.1:${silentPort}: nothing is listening there, and nats-server is not installed.`,
        '  npm start runs nats-server itself when no NATS is running. Install it (or run NATS in Docker):',
        '    Debian/Ubuntu:  sudo apt-get install nats-server',
        '    macOS:          brew install nats-server',
        '    Docker:         docker run -p 4222:4222 nats -js',
        '  (or set NATS_URL to a running server)',
      ].join('\n'),
    );
    // It gave up before starting the embedded PostgreSQL it would otherwise have needed.
    expect(await isPortFree(silentPostgresPort)).toBe(true);
    expect(existsSync(join(rootDir, '.eventshop', 'postgres'))).toBe(false);
  });
});
