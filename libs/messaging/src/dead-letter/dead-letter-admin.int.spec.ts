// The dead-letter admin (and the `npm run dlq` CLI on top of it) against a real NATS server. Every
// test gets its own namespace, i.e. its own events and dead-letter streams, deleted afterwards.
// Messages are dead-lettered the real way: published, consumed, failed, and parked by the
// dead-letter middleware.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Msg } from '@nats-io/nats-core';
import { withMiddleware, type Middleware } from '../handler.js';
import { DeadLetterHeaders, decodeJson, encodeJson, Headers, MalformedMessageError } from '../message.js';
import { fromNatsHeaders } from '../jetstream/headers.js';
import { JetStreamPublisher } from '../jetstream/jetstream-publisher.js';
import { JetStreamSubscriber } from '../jetstream/jetstream-subscriber.js';
import { deadLetter } from '../middleware/dead-letter.middleware.js';
import { createTestBus, TEST_NATS_URL } from '../testing/test-infrastructure.js';
import { runDlqCli } from '../cli/dlq.cli.js';
import { DeadLetterAdmin, DeadLetterNotFoundError, replayMessageId } from './dead-letter-admin.js';

type TestBus = Awaited<ReturnType<typeof createTestBus>>;

let bus: TestBus;
let js: JetStreamClient;
let jsm: JetStreamManager;
let publisher: JetStreamPublisher;
let admin: DeadLetterAdmin;

beforeEach(async () => {
  bus = await createTestBus();
  js = jetstream(bus.connection);
  jsm = await jetstreamManager(bus.connection);
  publisher = new JetStreamPublisher(bus.connection);
  admin = new DeadLetterAdmin(jsm, bus.connection, bus.topology);
});

afterEach(async () => {
  await bus.close();
});

const subjectFor = (event: string) => `${bus.topology.eventsSubjectRoot}.test.${event}.v1`;

/**
 * Publishes one event per id to `subject` and has consumer group `group` fail each for good, so the
 * real dead-letter middleware parks them. Resolves once all are parked.
 */
async function deadLetterEvents(
  group: string,
  subject: string,
  ids: readonly string[],
  payloadFor: (id: string) => Uint8Array = (id) => encodeJson({ eventId: id, orderId: 42 }),
): Promise<void> {
  for (const id of ids) {
    await publisher.publish({
      id,
      subject,
      payload: payloadFor(id),
      headers: { [Headers.CorrelationId]: `corr-${id}`, [Headers.EventType]: 'test.thing-happened' },
    });
  }
  let parked = 0;
  let allParked!: () => void;
  const done = new Promise<void>((resolve) => (allParked = resolve));
  // Outermost, so it sees the dead-letter middleware's answer: the message is parked by then.
  const countParked: Middleware = (next) => async (message) => {
    const outcome = await next(message);
    if (++parked === ids.length) allParked();
    return outcome;
  };
  const handler = withMiddleware(
    async () => {
      throw new MalformedMessageError('payload does not match the contract');
    },
    countParked,
    deadLetter({ publisher, subjectPrefix: bus.topology.deadLetterSubjectRoot, handler: 'record-order' }),
  );
  const subscriber = new JetStreamSubscriber(js, jsm, { stream: bus.topology.eventsStream });
  const subscription = await subscriber.subscribe({ group, subject }, handler);
  try {
    await done;
  } finally {
    await subscription.close();
  }
}

/** Collects the next `count` messages published on `subject` (core NATS sees JetStream publishes too). */
function nextMessagesOn(subject: string, count: number): Promise<Msg[]> {
  const subscription = bus.connection.subscribe(subject, { max: count });
  return (async () => {
    const received: Msg[] = [];
    for await (const msg of subscription) received.push(msg);
    return received;
  })();
}

describe('DeadLetterAdmin', () => {
  it('parks a message just under the max payload by reference — acked, not redelivered forever — and replays it whole', async () => {
    const subject = subjectFor('huge-thing-happened');
    const group = 'test-service__huge';
    // As large as the stream takes with its own headers, so the Dlq-* headers cannot fit beside it.
    const payload = new Uint8Array(bus.connection.info!.max_payload - 400).fill(0x61);
    await deadLetterEvents(group, subject, ['huge-1'], () => payload);

    const { deadLetters } = await admin.list();
    expect(deadLetters).toHaveLength(1);
    const [parked] = deadLetters;
    expect(parked!.payload.byteLength).toBe(0);
    expect(parked!.headers[DeadLetterHeaders.PayloadOmitted]).toBe(String(payload.byteLength));
    expect(parked!.payloadByReference).toEqual({ bytes: payload.byteLength, stream: bus.topology.eventsStream, sequence: 1 });
    expect(parked!.reason).toMatch(/payload does not match the contract/);
    // The original was acked: nothing pending, nothing waiting for an ack.
    const consumer = await jsm.consumers.info(bus.topology.eventsStream, group);
    expect([consumer.num_pending, consumer.num_ack_pending]).toEqual([0, 0]);

    const replayed = nextMessagesOn(subject, 1);
    await admin.replay(parked!.sequence);
    const [message] = await replayed;
    expect(message!.data).toEqual(payload);
  });

  it('lists a dead letter with where it came from and why it was parked', async () => {
    const subject = subjectFor('order-placed');
    const before = Date.now();
    await deadLetterEvents('orders__record-order', subject, ['evt-1']);

    const { deadLetters, total } = await admin.list();

    expect(total).toBe(1);
    expect(deadLetters).toHaveLength(1);
    const [parked] = deadLetters;
    expect(parked).toMatchObject({
      consumer: 'orders__record-order',
      handler: 'record-order',
      originalSubject: subject,
      reason: 'MalformedMessageError: payload does not match the contract',
      deliveryCount: 1,
    });
    expect(parked?.sequence).toBeGreaterThan(0);
    expect(parked?.deadLetteredAt.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    expect(parked?.deadLetteredAt.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('lists one consumer group, oldest first, up to the limit', async () => {
    await deadLetterEvents('a__handler', subjectFor('a-happened'), ['a-1', 'a-2', 'a-3']);
    await deadLetterEvents('b__handler', subjectFor('b-happened'), ['b-1']);

    const ofA = await admin.list({ consumer: 'a__handler' });
    const limited = await admin.list({ limit: 2 });

    const eventIds = (letters: typeof ofA.deadLetters) =>
      letters.map((letter) => (decodeJson(letter.payload) as { eventId: string }).eventId);
    expect(ofA.total).toBe(3);
    expect(eventIds(ofA.deadLetters)).toEqual(['a-1', 'a-2', 'a-3']);
    expect((await admin.list({ consumer: 'b__handler' })).total).toBe(1);
    expect(limited.total).toBe(4);
    expect(eventIds(limited.deadLetters)).toEqual(['a-1', 'a-2']);
    expect(await admin.list({ consumer: 'nobody__here' })).toEqual({ deadLetters: [], total: 0 });
  });

  it('shows a dead letter with its original headers, the Dlq-* ones and its payload', async () => {
    await deadLetterEvents('orders__record-order', subjectFor('order-placed'), ['evt-1']);
    const [listed] = (await admin.list()).deadLetters;

    const shown = await admin.get(listed?.sequence ?? 0);

    expect(shown.headers[Headers.CorrelationId]).toBe('corr-evt-1');
    expect(shown.headers[Headers.EventType]).toBe('test.thing-happened');
    expect(shown.headers[DeadLetterHeaders.Consumer]).toBe('orders__record-order');
    expect(decodeJson(shown.payload)).toEqual({ eventId: 'evt-1', orderId: 42 });
    await expect(admin.get(999_999)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
  });

  it('replays to the original subject with the original headers and a new message id, then deletes it', async () => {
    const subject = subjectFor('order-placed');
    await deadLetterEvents('orders__record-order', subject, ['evt-1']);
    const [parked] = (await admin.list()).deadLetters;
    const sequence = parked?.sequence ?? 0;
    const arriving = nextMessagesOn(subject, 1);

    const result = await admin.replay(sequence);

    const [replayed] = await arriving;
    const headers = fromNatsHeaders(replayed?.headers);
    expect(result).toEqual({ sequence, subject, messageId: `evt-1:replay:${sequence}` });
    expect(headers[Headers.MessageId]).toBe(`evt-1:replay:${sequence}`);
    expect(headers[Headers.CorrelationId]).toBe('corr-evt-1');
    expect(Object.keys(headers).filter((name) => name.startsWith('Dlq-'))).toEqual([]);
    expect(decodeJson(replayed?.data ?? new Uint8Array())).toEqual({ eventId: 'evt-1', orderId: 42 });
    // Stored by the events stream, not dropped as a duplicate of the original publish.
    const stored = await jsm.streams.getMessage(bus.topology.eventsStream, { last_by_subj: subject });
    expect(fromNatsHeaders(stored?.header)[Headers.MessageId]).toBe(`evt-1:replay:${sequence}`);
    await expect(admin.get(sequence)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
    expect((await admin.list()).total).toBe(0);
  });

  it('replays all of one consumer group and leaves the others parked', async () => {
    const subject = subjectFor('a-happened');
    await deadLetterEvents('a__handler', subject, ['a-1', 'a-2']);
    await deadLetterEvents('b__handler', subjectFor('b-happened'), ['b-1']);
    const arriving = nextMessagesOn(subject, 2);

    const results = await admin.replayAll({ consumer: 'a__handler' });

    expect(results.map((result) => result.subject)).toEqual([subject, subject]);
    const replayed = await arriving;
    expect(replayed.map((msg) => (decodeJson(msg.data) as { eventId: string }).eventId)).toEqual(['a-1', 'a-2']);
    expect((await admin.list({ consumer: 'a__handler' })).total).toBe(0);
    expect((await admin.list({ consumer: 'b__handler' })).total).toBe(1);
  });

  it("purges one consumer group's dead letters, then all", async () => {
    await deadLetterEvents('a__handler', subjectFor('a-happened'), ['a-1', 'a-2']);
    await deadLetterEvents('b__handler', subjectFor('b-happened'), ['b-1']);

    expect(await admin.purge({ consumer: 'a__handler' })).toBe(2);
    expect((await admin.list()).total).toBe(1);
    expect(await admin.purge()).toBe(1);
    expect((await admin.list()).total).toBe(0);
  });

  it('refuses a consumer filter that is not a group name', async () => {
    await expect(admin.list({ consumer: 'a.>' })).rejects.toThrow(/not a consumer group name/);
  });
});

describe('replayMessageId', () => {
  it('derives the id from the original one, never growing over repeated round trips', () => {
    expect(replayMessageId('evt-1:dlq:orders__record-order:5:3', 12)).toBe('evt-1:replay:12');
    expect(replayMessageId('evt-1:replay:12:dlq:orders__record-order:9:1', 20)).toBe('evt-1:replay:20');
    expect(replayMessageId('', 7)).toBe('dead-letter:replay:7');
  });
});

describe('npm run dlq', () => {
  /** Runs the CLI against this test's namespace and captures what it prints. */
  async function dlq(...argv: string[]) {
    const namespace = bus.topology.eventsSubjectRoot.split('.')[0];
    const out: string[] = [];
    const err: string[] = [];
    const code = await runDlqCli(argv, { NATS_URL: TEST_NATS_URL, NATS_NAMESPACE: namespace }, {
      out: (text) => out.push(text),
      err: (text) => err.push(text),
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('lists, shows, replays, discards and purges', async () => {
    const subject = subjectFor('order-placed');
    await deadLetterEvents('orders__record-order', subject, ['evt-1', 'evt-2', 'evt-3']);
    const [first, second, third] = (await admin.list()).deadLetters.map((letter) => letter.sequence);

    const listed = await dlq('list', '--consumer', 'orders__record-order');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/^SEQ\s+CONSUMER\s+ORIGINAL SUBJECT\s+DELIVERIES\s+DEAD-LETTERED AT\s+REASON$/m);
    expect(listed.out).toMatch(new RegExp(`^${first}\\s+orders__record-order\\s+${subject.replace(/\./g, '\\.')}\\s+1\\s`, 'm'));
    expect(listed.out).toContain('3 dead letters.');

    const shown = await dlq('show', String(first));
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('Correlation-Id: corr-evt-1');
    expect(shown.out).toContain('Payload (JSON):\n{\n  "eventId": "evt-1",\n  "orderId": 42\n}');

    const replayed = await dlq('replay', String(first));
    expect(replayed).toEqual({
      code: 0,
      out: `Replayed dead letter ${first} to ${subject} as evt-1:replay:${first}.`,
      err: '',
    });

    expect(await dlq('discard', String(third))).toEqual({ code: 0, out: `Discarded dead letter ${third}.`, err: '' });
    await expect(admin.get(third ?? 0)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
    expect((await dlq('discard', String(third))).code).toBe(1);

    const purged = await dlq('purge', '--consumer', 'orders__record-order');
    expect(purged).toEqual({ code: 0, out: 'Purged 1 dead letter for orders__record-order.', err: '' });
    await expect(admin.get(second ?? 0)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
    expect((await dlq('list')).out).toBe('No dead letters.');
  });

  it('fails with exit code 1 and says why when the dead letter does not exist', async () => {
    const missing = await dlq('show', '999999');
    expect(missing.code).toBe(1);
    expect(missing.err).toBe('dlq: no dead letter with sequence 999999');
  });

  it('exits 2 with the usage on wrong usage, and 0 for --help', async () => {
    for (const argv of [[], ['frobnicate'], ['show'], ['show', 'abc'], ['replay', '1', '--all'], ['list', '--limit', '0']]) {
      const wrong = await dlq(...argv);
      expect({ argv, code: wrong.code }).toEqual({ argv, code: 2 });
      expect(wrong.err).toContain('Usage: npm run dlq');
    }
    const help = await dlq('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('replay --all [--consumer <group>]');
  });
});
