// The JetStream adapter against the shared pub/sub conformance suite.
//
// Every test gets its own namespace (so its own stream on the shared NATS at NATS_URL) and deletes
// it afterwards. The reconnect test needs a server it may restart, so it starts a private
// `nats-server -js` on a free port with a temporary store, restarts it mid-stream, and kills it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import {
  runPubSubConformance,
  type ClosablePubSubClient,
  type PubSubTestContext,
  type PubSubUnderTest,
} from '../testing/pubsub-conformance.js';
import { JetStreamPublisher } from './jetstream-publisher.js';
import { JetStreamSubscriber } from './jetstream-subscriber.js';
import { deleteStreams, ensureStreams, type Topology, topologyFor } from './topology.js';
import { freePort } from '../testing/free-port.js';

const sharedNatsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const natsServerBinary = findNatsServer();

runPubSubConformance('JetStream', (context) => (context.restartable ? privateBroker(context) : sharedBroker(context)), {
  persistent: true,
  consumerGroups: true,
  orderedPerKey: true,
  redeliveryOnAckTimeout: true,
  // Skipped (and shown as skipped) where no nats-server binary is installed to start privately.
  restartableBroker: natsServerBinary !== undefined,
  newGroupReplaysHistory: true,
  deduplicatesPublishes: true,
  exactlyOnceDelivery: false,
});

/** A fresh namespace (own events stream) on the shared server. */
function sharedBroker(context: PubSubTestContext): Promise<PubSubUnderTest> {
  return jetStreamBroker(sharedNatsUrl, context);
}

/** A namespace on a private server the test may restart; the server goes when the broker closes. */
async function privateBroker(context: PubSubTestContext): Promise<PubSubUnderTest> {
  if (!natsServerBinary) throw new Error('the reconnect test needs a nats-server binary (set NATS_SERVER_BIN)');
  const server = await PrivateNatsServer.start(natsServerBinary);
  try {
    const broker = await jetStreamBroker(server.url, context);
    return {
      ...broker,
      restartBroker: () => server.restart(),
      close: async () => {
        await broker.close();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function jetStreamBroker(url: string, context: PubSubTestContext): Promise<PubSubUnderTest> {
  // Namespaces may hold letters, digits, '_' and '-'; a random suffix keeps test runs apart.
  const topology = topologyFor(`conf_${randomUUID().replaceAll('-', '').slice(0, 12)}`);
  const main = await openClient(url, topology, context);
  await ensureStreams(main.jsm, topology);
  const others: ClosablePubSubClient[] = [];
  return {
    subjectRoot: topology.eventsSubjectRoot,
    publisher: main.publisher,
    subscriber: main.subscriber,
    async connect() {
      const client = await openClient(url, topology, context);
      others.push(client);
      return client;
    },
    async close() {
      await Promise.allSettled(others.map((client) => client.close()));
      // Delete what the test made, so the shared server does not fill up with test streams.
      await deleteStreams(main.jsm, topology);
      await main.close();
    },
  };
}

interface JetStreamClientUnderTest extends ClosablePubSubClient {
  readonly jsm: JetStreamManager;
}

/** One NATS connection with the adapter's publisher and subscriber on it: one "process". */
async function openClient(url: string, topology: Topology, context: PubSubTestContext): Promise<JetStreamClientUnderTest> {
  const connection: NatsConnection = await connect({
    servers: url,
    name: `conformance: ${context.testName}`,
    // Like the services: ride out broker restarts by reconnecting forever.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
  const jsm = await jetstreamManager(connection);
  const js = jetstream(connection);
  return {
    jsm,
    publisher: new JetStreamPublisher(connection),
    // A short nak delay: tests that make handlers fail should not idle for the 1 s default.
    subscriber: new JetStreamSubscriber(js, jsm, { stream: topology.eventsStream, defaultNakDelayMs: 50 }),
    close: async () => {
      if (!connection.isClosed()) await connection.close();
    },
  };
}

/** A nats-server of our own, on a free port with a temporary store directory. */
class PrivateNatsServer {
  private process?: ChildProcess;
  /** Restarts and the final stop run one at a time: overlapping ones would fight over the port. */
  private lifecycle = Promise.resolve();

  private constructor(
    private readonly binary: string,
    private readonly port: number,
    private readonly storeDir: string,
  ) {}

  static async start(binary: string): Promise<PrivateNatsServer> {
    const server = new PrivateNatsServer(binary, await freePort(), await mkdtemp(join(tmpdir(), 'conformance-nats-')));
    await server.launch();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /**
   * Stops the server gracefully and starts it again on the same port and store. Graceful on
   * purpose: a SIGKILL can drop the last writes the server had already acked (it does not fsync
   * each one unless configured to), which would test NATS's storage settings, not our adapter.
   */
  restart(): Promise<void> {
    return this.serially(async () => {
      await this.halt();
      await this.launch();
    });
  }

  stop(): Promise<void> {
    return this.serially(async () => {
      await this.halt();
      await rm(this.storeDir, { recursive: true, force: true });
    });
  }

  private serially(step: () => Promise<void>): Promise<void> {
    const run = this.lifecycle.then(step);
    this.lifecycle = run.catch(() => undefined);
    return run;
  }

  private launch(): Promise<void> {
    const child = spawn(this.binary, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.process = child;
    const { stderr } = child;
    if (!stderr) throw new Error('nats-server stderr is not piped');
    // The server logs to stderr; "Server is ready" is the real signal that it accepts clients.
    return new Promise((resolve, reject) => {
      let log = '';
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Server is ready')) {
          stderr.off('data', onData);
          stderr.resume(); // keep draining, or a chatty server blocks on a full pipe
          resolve();
        }
      };
      stderr.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`nats-server exited with ${code} before it was ready:\n${log}`)));
    });
  }

  private async halt(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }
}

function findNatsServer(): string | undefined {
  const candidates = [process.env['NATS_SERVER_BIN'], 'nats-server', '/usr/sbin/nats-server', '/usr/local/bin/nats-server'];
  return candidates.find((candidate) => candidate && spawnSync(candidate, ['--version']).status === 0);
}
