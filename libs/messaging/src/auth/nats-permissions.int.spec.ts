import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { UserSignedUpV1, OrderPlacedV1 } from '@eventshop/contracts';
import { ADMIN, startSecuredNats, uniqueName, type SecuredNats } from '../testing/index.js';
import { ensureStreams, namespacedSubject, topologyFor } from '../jetstream/topology.js';
import { busIdentitiesIn } from './nats-config-files.js';

// The shop's real identities (apps/*/package.json) and the generated config, on a nats-server of
// this test's own. Before per-service users, every one of these forgeries succeeded.
const identities = busIdentitiesIn(fileURLToPath(new URL('../../../../apps', import.meta.url)));
const namespace = uniqueName('auth');
const topology = topologyFor(namespace);

const signUp = () =>
  UserSignedUpV1.create(
    { userId: crypto.randomUUID(), email: 'mallory@example.com', name: 'Mallory', newsletterOptIn: false, occurredAt: new Date().toISOString() },
    { source: 'user-service', aggregateId: crypto.randomUUID(), correlationId: crypto.randomUUID() },
  );

describe('NATS with one user per service (real nats-server, generated authorization)', () => {
  let nats: SecuredNats;
  let admin: NatsConnection;
  const connections: NatsConnection[] = [];
  const as = async (user: string) => {
    const connection = await nats.connect(user);
    connections.push(connection);
    return connection;
  };
  const storedEvents = async () => (await (await jetstreamManager(admin)).streams.info(topology.eventsStream)).state.messages;

  beforeAll(async () => {
    nats = await startSecuredNats(identities, namespace);
    admin = await nats.connect(ADMIN);
    await ensureStreams(await jetstreamManager(admin), topology);
  }, 30_000);
  afterAll(async () => {
    for (const connection of connections) await connection.close();
    await admin?.close();
    await nats?.stop();
  });

  it('refuses an anonymous connection', async () => {
    await expect(nats.connect()).rejects.toThrow(/Authorization Violation/i);
  });

  it('refuses a wrong password', async () => {
    await expect(import('@nats-io/transport-node').then(({ connect }) => connect({ servers: nats.url, user: 'user-service', pass: 'guess' }))).rejects.toThrow(
      /Authorization Violation/i,
    );
  });

  it("lets a service publish its own event, and nobody else's: nothing forged lands in the stream", async () => {
    const before = await storedEvents();
    const own = jetstream(await as('user-service'));
    await own.publish(namespacedSubject(topology, UserSignedUpV1.subject), JSON.stringify(signUp()));
    expect(await storedEvents()).toBe(before + 1);

    const forger = jetstream(await as('email-service'));
    await expect(forger.publish(namespacedSubject(topology, UserSignedUpV1.subject), JSON.stringify(signUp()), { timeout: 2_000 })).rejects.toThrow(
      /permissions violation/i,
    );
    const orders = jetstream(await as('newsletter-service'));
    await expect(orders.publish(namespacedSubject(topology, OrderPlacedV1.subject), '{}', { timeout: 2_000 })).rejects.toThrow(/permissions violation/i);
    expect(await storedEvents()).toBe(before + 1);
  });

  it('lets only the admin create, update, purge or delete streams', async () => {
    for (const service of identities.map((identity) => identity.service)) {
      const jsm = await jetstreamManager(await as(service));
      await expect(jsm.streams.add({ name: `${service.toUpperCase().replace(/-/g, '_')}_X`, subjects: ['x.>'] })).rejects.toThrow(/permissions violation/i);
      await expect(jsm.streams.purge(topology.eventsStream)).rejects.toThrow(/permissions violation/i);
      await expect(jsm.streams.delete(topology.deadLetterStream)).rejects.toThrow(/permissions violation/i);
    }
    const jsm = await jetstreamManager(admin);
    await jsm.streams.add({ name: 'ADMIN_MADE', subjects: [`${namespace}.admin.>`] });
    expect(await jsm.streams.delete('ADMIN_MADE')).toBe(true);
    expect((await jsm.streams.info(topology.eventsStream)).config.name).toBe(topology.eventsStream);
  });

  it("keeps a service out of another service's replies and off the read model's queries", async () => {
    const email = await as('email-service');
    expect(() => email.subscribe('_INBOX.read-model-service.>')).not.toThrow();
    // The server refuses the subscription asynchronously: the connection reports it.
    const refused = (async () => {
      for await (const status of email.status()) if (status.type === 'error') return String(status.error);
      return '';
    })();
    expect(await refused).toMatch(/permissions violation for subscription to "_INBOX\.read-model-service\.>"/i);
  });

  it('lets no service but read-model-service answer the read model queries, and none ask them', async () => {
    const order = await as('order-service');
    await expect(order.request(`${namespace}.readmodel.user.get`, '{}', { timeout: 2_000 })).rejects.toThrow(/permissions violation/i);
  });
});
