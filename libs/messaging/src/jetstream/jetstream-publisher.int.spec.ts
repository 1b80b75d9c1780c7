// The JetStream publisher against a real NATS server: it resolves only on the stream's ack, and every
// way of not getting one — no stream, no answer, too large, a closed connection — rejects, promptly
// and saying which, instead of hanging or passing for stored.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { MessageTooLargeError } from '../ports/publisher.js';
import type { OutgoingMessage } from '../message.js';
import { createTestBus, TEST_NATS_URL, uniqueName } from '../testing/test-infrastructure.js';
import { JetStreamPublisher, PublishNotAckedError } from './jetstream-publisher.js';

type TestBus = Awaited<ReturnType<typeof createTestBus>>;

let bus: TestBus;
let jsm: JetStreamManager;

beforeEach(async () => {
  bus = await createTestBus();
  jsm = await jetstreamManager(bus.connection);
});

afterEach(async () => {
  await bus.close();
});

function message(subject: string, payload = new TextEncoder().encode('{"hello":"world"}'), id = randomUUID()): OutgoingMessage {
  return { id, subject, payload, headers: { 'Content-Type': 'application/json' } };
}

const storedOn = async (subject: string): Promise<number> => (await jsm.streams.info(bus.topology.eventsStream, { subjects_filter: subject })).state.subjects?.[subject] ?? 0;

describe('JetStreamPublisher', () => {
  it('resolves once the stream stored the message, with its id as Nats-Msg-Id; a republished id is stored once', async () => {
    const publisher = new JetStreamPublisher(bus.connection);
    const subject = `${bus.topology.eventsSubjectRoot}.test.stored.v1`;
    const first = message(subject);
    await publisher.publish(first);
    await publisher.publish({ ...first }); // the same id: acked as a duplicate
    expect(await storedOn(subject)).toBe(1);
    const stored = await jsm.streams.getMessage(bus.topology.eventsStream, { last_by_subj: subject });
    expect(stored?.header.get('Nats-Msg-Id')).toBe(first.id);
    expect(stored?.header.get('Content-Type')).toBe('application/json');
    expect(stored?.string()).toBe('{"hello":"world"}');
  });

  it('pipelines: a thousand publishes at once each resolve, and each is stored', async () => {
    const publisher = new JetStreamPublisher(bus.connection);
    const subject = `${bus.topology.eventsSubjectRoot}.test.many.v1`;
    await Promise.all(Array.from({ length: 1000 }, () => publisher.publish(message(subject))));
    expect(await storedOn(subject)).toBe(1000);
  });

  it('rejects at once when no stream captures the subject', async () => {
    const publisher = new JetStreamPublisher(bus.connection, 60_000);
    const subject = `${uniqueName('nostream')}.event`;
    const error = await publisher.publish(message(subject)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishNotAckedError);
    expect((error as Error).message).toBe(`no stream captures ${subject} (no responders)`);
  });

  it('rejects when no ack comes within its ack timeout', async () => {
    // Something listens on the subject, so there is no "no responders" answer; it never acks.
    const subject = `${uniqueName('silent')}.event`;
    const silent = bus.connection.subscribe(subject);
    await bus.connection.flush();
    const publisher = new JetStreamPublisher(bus.connection, 200);
    const startedAt = Date.now();
    const error = await publisher.publish(message(subject)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishNotAckedError);
    expect((error as Error).message).toBe(`no ack from JetStream for ${subject} within 200 ms`);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(200);
    silent.unsubscribe();
  });

  it('rejects a message larger than the server takes with MessageTooLargeError, before sending it', async () => {
    const publisher = new JetStreamPublisher(bus.connection);
    const subject = `${bus.topology.eventsSubjectRoot}.test.huge.v1`;
    const maxPayload = bus.connection.info?.max_payload ?? 1024 * 1024;
    const error = await publisher.publish(message(subject, new Uint8Array(maxPayload + 1))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect(error).toMatchObject({ subject, bytes: maxPayload + 1 });
    expect(await storedOn(subject)).toBe(0);
  });

  it('rejects a message larger than its stream stores with MessageTooLargeError', async () => {
    const name = uniqueName('small');
    await jsm.streams.add({ name, subjects: [`${name}.>`], max_msg_size: 64 });
    try {
      const publisher = new JetStreamPublisher(bus.connection);
      const error = await publisher.publish(message(`${name}.event`, new Uint8Array(65))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MessageTooLargeError);
      expect(error).toMatchObject({ subject: `${name}.event`, bytes: 65 });
    } finally {
      await jsm.streams.delete(name);
    }
  });

  it('rejects what awaits its ack when the connection closes, and refuses to publish on a closed one', async () => {
    const connection = await connect({ servers: TEST_NATS_URL });
    const subject = `${uniqueName('closing')}.event`;
    const silent = bus.connection.subscribe(subject);
    await bus.connection.flush();
    const publisher = new JetStreamPublisher(connection, 60_000);
    const awaiting = publisher.publish(message(subject)).catch((e: unknown) => e);
    await connection.flush(); // the publish has left
    await connection.close();
    const error = await awaiting;
    expect(error).toBeInstanceOf(PublishNotAckedError);
    expect((error as Error).message).toMatch(new RegExp(`^no ack from JetStream for ${subject}: the ack subscription closed`));
    await expect(publisher.publish(message(subject))).rejects.toThrow(`cannot publish to ${subject}: the NATS connection is closed`);
    silent.unsubscribe();
  });
});
