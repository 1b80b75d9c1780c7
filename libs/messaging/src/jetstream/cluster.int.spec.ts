// R3 streams on a 3-node JetStream cluster survive the loss of the stream leader mid-traffic.
//
// Three `nats-server` processes of the test's own (free client and route ports, temp stores) form a
// cluster the way the prod overlay's StatefulSet does (--cluster_name, --routes to every node, a
// server name per node). `ensureStreams` creates the streams with replicas: 3; the real
// JetStreamPublisher and JetStreamSubscriber carry the traffic, and the stream leader is SIGKILLed
// while messages are being published and consumed.
//
// What "nothing lost, nothing duplicated" means with at-least-once delivery:
// - lost: a message whose publish was acknowledged (or retried until acknowledged) is not in the
//   stream, or is never handled;
// - duplicated in the stream: a retried publish stored twice. The stream must hold exactly one
//   message per id (JetStream drops a republish with the same Nats-Msg-Id inside its duplicate
//   window, and the window's state is replicated too);
// - duplicated effect: the handler's effect happening twice for one id. The consumer may see a
//   redelivery (an ack lost with the leader); the effect is applied once per id, which is what the
//   inbox (HandleOnce) does in the services. Redeliveries are counted and reported, not forbidden.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { NATS_SERVER_EXECUTABLE } from '../testing/secured-nats.js';
import { eventually } from '../testing/publish-event.js';
import { uniqueName } from '../testing/test-infrastructure.js';
import { encodeJson } from '../message.js';
import { JetStreamPublisher } from './jetstream-publisher.js';
import { JetStreamSubscriber } from './jetstream-subscriber.js';
import { ensureStreams, topologyFor } from './topology.js';
import { freePort } from '../testing/free-port.js';

const NODES = 3;
const MESSAGES = 300;
/** The leader is killed once this many messages have been acknowledged. */
const KILL_AFTER = 100;

interface ClusterNode {
  readonly name: string;
  readonly url: string;
  readonly process: ChildProcess;
  readonly output: string[];
}

/** Starts NODES servers routed to each other; resolves once each one reports it is ready. */
async function startCluster(dir: string): Promise<ClusterNode[]> {
  // All six asked for at once: each probe binds before any of them closes, so they differ. (Asked
  // in two rounds, the second could get a port the first had just freed: a route port once equalled
  // a client port, and that node failed to start.)
  const ports = await Promise.all(Array.from({ length: 2 * NODES }, freePort));
  const [clientPorts, routePorts] = [ports.slice(0, NODES), ports.slice(NODES)];
  const routes = routePorts.map((port) => `nats://127.0.0.1:${port}`).join(',');
  const clusterName = uniqueName('eventshop_cluster');
  const nodes = clientPorts.map((port, i): ClusterNode => {
    const name = `n${i}`;
    const child = spawn(
      NATS_SERVER_EXECUTABLE,
      // The same flags the prod overlay gives each pod (k8s/overlays/prod/nats-statefulset.patch.yaml).
      ['-js', '-sd', join(dir, name), '-a', '127.0.0.1', '-p', String(port), '--server_name', name,
        '--cluster_name', clusterName, '--cluster', `nats://127.0.0.1:${routePorts[i]}`, '--routes', routes],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output: string[] = [];
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    return { name, url: `nats://127.0.0.1:${port}`, process: child, output };
  });
  await Promise.all(
    nodes.map((node) =>
      eventually(async () => {
        if (node.process.exitCode !== null) throw new Error(`${node.name} exited:\n${node.output.join('')}`);
        return node.output.join('').includes(`127.0.0.1:${new URL(node.url).port}`) && node.output.join('').includes('Server is ready') ? true : undefined;
      }, 15_000, `${node.name} to listen`),
    ),
  );
  return nodes;
}

describe('an R3 stream on a 3-node JetStream cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventshop-nats-cluster-'));
  const topology = topologyFor(uniqueName('cluster'));
  let nodes: ClusterNode[] = [];
  let connection: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nodes = await startCluster(dir);
    connection = await connect({ servers: nodes.map((n) => n.url), maxReconnectAttempts: -1, reconnectTimeWait: 100, timeout: 5_000 });
    // JetStream answers (jetstreamManager asks for the account info) only once the nodes have
    // elected a meta leader.
    jsm = await eventually(() => jetstreamManager(connection, { timeout: 2_000 }).catch(() => undefined), 30_000, 'a JetStream meta leader');
    await ensureStreams(jsm, topology, { replicas: NODES });
  }, 45_000);

  afterAll(async () => {
    await connection?.close().catch(() => undefined);
    for (const node of nodes) if (node.process.exitCode === null && node.process.signalCode === null) node.process.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('ensureStreams made both streams R3', async () => {
    for (const stream of [topology.eventsStream, topology.deadLetterStream]) {
      const info = await jsm.streams.info(stream);
      expect(info.config.num_replicas).toBe(NODES);
      expect(info.cluster?.replicas).toHaveLength(NODES - 1);
    }
  });

  it('loses and duplicates nothing when the stream leader is killed mid-traffic', async () => {
    const js = jetstream(connection);
    const publisher = new JetStreamPublisher(connection, 2_000);
    const subscriber = new JetStreamSubscriber(js, jsm, { stream: topology.eventsStream, defaultNakDelayMs: 50 });
    const deliveries = new Map<string, number>();
    /** The handler's effect, applied once per id (as the inbox does). */
    const effects = new Set<string>();
    const subscription = await subscriber.subscribe({ group: 'cluster-test', subject: `${topology.eventsSubjectRoot}.>`, ackWaitMs: 2_000 }, async (message) => {
      deliveries.set(message.id, (deliveries.get(message.id) ?? 0) + 1);
      effects.add(message.id);
    });
    // The consumer (the consumer group's cursor and acks) is replicated like its stream.
    expect((await jsm.consumers.info(topology.eventsStream, 'cluster-test')).cluster?.replicas).toHaveLength(NODES - 1);

    let killed: string | undefined;
    let failedPublishes = 0;
    for (let i = 0; i < MESSAGES; i++) {
      if (i === KILL_AFTER) {
        killed = (await jsm.streams.info(topology.eventsStream)).cluster?.leader;
        const leader = nodes.find((n) => n.name === killed);
        if (!leader) throw new Error(`no node is the stream leader (${killed})`);
        leader.process.kill('SIGKILL');
      }
      const message = { id: `msg-${i}`, subject: `${topology.eventsSubjectRoot}.test.happened.v1`, payload: encodeJson({ i }), headers: {} };
      // What the outbox relay does: a publish that is not confirmed is sent again, same id, until it is.
      for (;;) {
        try {
          await publisher.publish(message);
          break;
        } catch {
          failedPublishes++;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }

    await eventually(async () => (effects.size === MESSAGES ? true : undefined), 30_000, `all ${MESSAGES} messages to be handled (have ${effects.size})`);
    await subscription.close(5_000);

    const info = await jsm.streams.info(topology.eventsStream);
    expect(killed).toBeDefined();
    expect(info.cluster?.leader).not.toBe(killed);
    // Nothing duplicated in the stream: exactly one stored message per id, though publishes were retried.
    expect(info.state.messages).toBe(MESSAGES);
    // Nothing lost: every id was handled, its effect once.
    expect([...effects].sort()).toEqual(Array.from({ length: MESSAGES }, (_, i) => `msg-${i}`).sort());
    const redelivered = [...deliveries.values()].filter((count) => count > 1).length;
    process.stdout.write(`cluster: leader ${killed} killed; ${failedPublishes} publishes retried, ${redelivered} messages redelivered\n`);
  }, 60_000);
});
