import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { UserSignedUpV1, OrderPlacedV1 } from '@eventshop/contracts';
import { ADMIN, startSecuredNats, uniqueName, type SecuredNats } from '../testing/index.js';
import { ensureStreams, namespacedSubject, topologyFor } from '../jetstream/topology.js';
import { busIdentitiesIn } from './nats-config-files.js';
import { DeadLetterHeaders, Headers } from '../message.js';
import { toNatsHeaders } from '../jetstream/headers.js';
import { deadLetterSubject } from '../middleware/dead-letter.middleware.js';
import { DeadLetterAdmin } from '../dead-letter/dead-letter-admin.js';
import { consumerGroupName } from '../router/message-router.js';
import { BusStateReader } from '../jetstream/bus-state.js';

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

  it('lets every service read its own groups\' lag and dead-letter depth (its /metrics), and read no dead letter', async () => {
    const consumers = identities.filter((identity) => Object.keys(identity.consumes ?? {}).length > 0);
    expect(consumers.length).toBeGreaterThan(0);
    const parkedFor = consumerGroupName(consumers[0]!.service, Object.keys(consumers[0]!.consumes!)[0]!);
    const { seq } = await jetstream(admin).publish(deadLetterSubject(topology.deadLetterSubjectRoot, parkedFor), '{}');
    try {
      for (const identity of consumers) {
        const jsm = await jetstreamManager(await as(identity.service));
        const groups = Object.keys(identity.consumes ?? {}).map((handler) => consumerGroupName(identity.service, handler));
        const state = await new BusStateReader(() => jsm, topology, () => groups).read();
        expect([identity.service, state.deadLetters]).toEqual([identity.service, new Map(groups.map((group) => [group, group === parkedFor ? 1 : 0]))]);
        await expect(jsm.streams.getMessage(topology.deadLetterStream, { seq })).rejects.toThrow(/permissions violation/i);
      }
    } finally {
      // The console's tests below count the dead letters from zero.
      await (await jetstreamManager(admin)).streams.deleteMessage(topology.deadLetterStream, seq, false);
    }
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

  it('lets only user-service answer the personal-data query, and only email-service and read-model-service ask it', async () => {
    const subject = `${namespace}.user.personal-data.get`;
    const user = await as('user-service');
    user.subscribe(subject, { callback: (_error, message) => void message.respond(JSON.stringify({ found: false, userId: 'x' })) });
    await user.flush();
    for (const asker of ['email-service', 'read-model-service']) {
      const reply = await (await as(asker)).request(subject, '{}', { timeout: 2_000 });
      expect(reply.json()).toEqual({ found: false, userId: 'x' });
    }
    for (const stranger of ['order-service', 'newsletter-service']) {
      await expect((await as(stranger)).request(subject, '{}', { timeout: 2_000 })).rejects.toThrow(/permissions violation/i);
    }
    // Nobody but user-service may listen on it (and so read what others ask for).
    const email = await as('email-service');
    email.subscribe(subject);
    const refused = (async () => {
      for await (const status of email.status()) if (status.type === 'error') return String(status.error);
      return '';
    })();
    expect(await refused).toMatch(/permissions violation for subscription/i);
  });

  describe('the console (watches, repairs dead letters)', () => {
    const group = consumerGroupName('email-service', 'send-welcome-email');
    const subject = namespacedSubject(topology, UserSignedUpV1.subject);
    let eventSequence: number;
    let deadLetterSequence: number;

    beforeAll(async () => {
      // What the running system would have made: email-service's group on the events stream, one
      // sign-up in the stream, and email-service's dead letter of it (written as the middleware does).
      await (await jetstreamManager(await as('email-service'))).consumers.add(topology.eventsStream, {
        durable_name: group,
        filter_subject: subject,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
      });
      const event = signUp();
      eventSequence = (await jetstream(await as('user-service')).publish(subject, JSON.stringify(event), { msgID: event.id })).seq;
      deadLetterSequence = await park(event, eventSequence);
    });

    /** Parks `event` as email-service's dead letter, as the dead-letter middleware writes one; returns its sequence. */
    const park = async (event: ReturnType<typeof signUp>, sequence: number): Promise<number> => {
      const parked = await jetstream(await as('email-service')).publish(deadLetterSubject(topology.deadLetterSubjectRoot, group), JSON.stringify(event), {
        msgID: `${event.id}:dlq:${group}:${sequence}:5`,
        headers: toNatsHeaders({
          [Headers.MessageId]: event.id,
          [DeadLetterHeaders.OriginalSubject]: subject,
          [DeadLetterHeaders.OriginalSequence]: String(sequence),
          [DeadLetterHeaders.Consumer]: group,
          [DeadLetterHeaders.Handler]: 'send-welcome-email',
          [DeadLetterHeaders.Reason]: 'Error: SMTP down',
          [DeadLetterHeaders.DeliveryCount]: '5',
        }),
      });
      return parked.seq;
    };

    it('reads the events through an ordered consumer and the groups through consumer info and list', async () => {
      const operator = await as('console');
      const viewer = await jetstream(operator).consumers.get(topology.eventsStream, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: eventSequence,
        inactive_threshold: 5_000,
      });
      const message = await viewer.next({ expires: 2_000 });
      expect(message?.seq).toBe(eventSequence);
      expect(message?.subject).toBe(subject);

      const jsm = await jetstreamManager(operator);
      expect((await jsm.consumers.info(topology.eventsStream, group)).config.filter_subject).toBe(subject);
      const listed: string[] = [];
      for await (const info of jsm.consumers.list(topology.eventsStream)) listed.push(info.name);
      expect(listed).toContain(group);
    });

    it('lists the dead letters and replays one: republished to its subject, gone from the dead-letter stream', async () => {
      const operator = await as('console');
      const admin = new DeadLetterAdmin(await jetstreamManager(operator), operator, topology);
      const { deadLetters, total } = await admin.list();
      expect(total).toBe(1);
      expect(deadLetters[0]).toMatchObject({ sequence: deadLetterSequence, consumer: group, originalSubject: subject, reason: 'Error: SMTP down' });

      const before = await storedEvents();
      await expect(admin.replay(deadLetterSequence)).resolves.toMatchObject({ sequence: deadLetterSequence, subject });
      expect(await storedEvents()).toBe(before + 1);
      expect((await admin.list()).total).toBe(0);
    });

    it('discards dead letters, one or all, but deletes nothing from the events stream', async () => {
      const operator = await as('console');
      const jsm = await jetstreamManager(operator);
      const admin = new DeadLetterAdmin(jsm, operator, topology);
      const one = await park(signUp(), eventSequence);
      await park(signUp(), eventSequence);
      expect(await jsm.streams.deleteMessage(topology.deadLetterStream, one, false)).toBe(true);
      expect(await admin.purge()).toBe(1);
      expect((await admin.list()).total).toBe(0);
      await expect(jsm.streams.deleteMessage(topology.eventsStream, eventSequence, false)).rejects.toThrow(/permissions violation/i);
    });

    it("may not create or delete streams, delete a group, nor ack another group's messages", async () => {
      const operator = await as('console');
      const jsm = await jetstreamManager(operator);
      await expect(jsm.streams.add({ name: 'CONSOLE_MADE', subjects: [`${namespace}.console.>`] })).rejects.toThrow(/permissions violation/i);
      await expect(jsm.streams.delete(topology.eventsStream)).rejects.toThrow(/permissions violation/i);
      await expect(jsm.streams.purge(topology.eventsStream)).rejects.toThrow(/permissions violation/i);
      await expect(jsm.consumers.delete(topology.eventsStream, group)).rejects.toThrow(/permissions violation/i);

      // email-service has an event in hand (a plain pull request: the message's reply subject is its
      // ack subject; noMux because the message arrives under its own subject, not the inbox's); an
      // ack of it from the console is refused, and it stays pending.
      const pull = `$JS.API.CONSUMER.MSG.NEXT.${topology.eventsStream}.${group}`;
      const delivered = await (await as('email-service')).request(pull, JSON.stringify({ batch: 1, expires: 2_000_000_000 }), { timeout: 3_000, noMux: true });
      expect(delivered.reply).toMatch(new RegExp(`^\\$JS\\.ACK\\.${topology.eventsStream}\\.${group}\\.`));
      await expect(operator.request(String(delivered.reply), '+ACK', { timeout: 2_000 })).rejects.toThrow(/permissions violation/i);
      const state = await (await jetstreamManager(admin)).consumers.info(topology.eventsStream, group);
      expect(state.num_ack_pending).toBeGreaterThanOrEqual(1);
      expect(state.ack_floor.stream_seq).toBe(0);
    });
  });

  // Last: its dead letter would show in the console's listing above.
  it("lets user-service park its stuck account deletions as dead letters under its own group only", async () => {
    const js = jetstream(await as('user-service'));
    const own = deadLetterSubject(topology.deadLetterSubjectRoot, consumerGroupName('user-service', 'account-deletion'));
    await expect(js.publish(own, '{}', { msgID: crypto.randomUUID() })).resolves.toMatchObject({ stream: topology.deadLetterStream });
    const foreign = deadLetterSubject(topology.deadLetterSubjectRoot, consumerGroupName('email-service', 'send-welcome-email'));
    await expect(js.publish(foreign, '{}', { msgID: crypto.randomUUID(), timeout: 2_000 })).rejects.toThrow();
  });
});
