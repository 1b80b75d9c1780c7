// What is particular to the in-memory adapter. The behaviour it shares with JetStream is checked by
// the conformance suite (in-memory-pubsub.conformance.unit.spec.ts).
import { randomUUID } from 'node:crypto';
import { describe, expect, jest, test } from '@jest/globals';
import { Headers, type OutgoingMessage, type ReceivedMessage } from '../message.js';
import { InMemoryPubSub, subjectMatches } from './in-memory-pubsub.js';

const encoder = new TextEncoder();

function message(subject: string, overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return { id: randomUUID(), subject, payload: encoder.encode('{}'), headers: {}, ...overrides };
}

/** Collects deliveries; `next()` resolves with the next one (no polling, no sleeping). */
function inbox() {
  const received: ReceivedMessage[] = [];
  const waiting: Array<(message: ReceivedMessage) => void> = [];
  let read = 0;
  return {
    received,
    handler: async (m: ReceivedMessage) => {
      received.push(m);
      waiting.shift()?.(m);
    },
    next(): Promise<ReceivedMessage> {
      const index = read++;
      if (index < received.length) return Promise.resolve(received[index]);
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

describe('subjectMatches', () => {
  test.each([
    ['a.b.c', 'a.b.c', true],
    ['a.b.c', 'a.b', false],
    ['a.b', 'a.b.c', false],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.b.x.c', false],
    ['a.*', 'a', false],
    ['*', 'a', true],
    ['*', 'a.b', false],
    ['a.>', 'a.b', true],
    ['a.>', 'a.b.c.d', true],
    ['a.>', 'a', false],
    ['>', 'a.b', true],
    ['*.b.>', 'x.b.y', true],
    ['*.b.>', 'x.c.y', false],
    ['a.b', 'a.bc', false],
  ])('%s matches %s: %s', (filter, subject, expected) => {
    expect(subjectMatches(filter, subject)).toBe(expected);
  });
});

describe('InMemoryPubSub', () => {
  test('rejects subjects its stream does not capture, and wildcard subjects', async () => {
    const bus = new InMemoryPubSub({ subjects: ['shop.events.>'] });
    await expect(bus.publish(message('other.events.x'))).rejects.toThrow(/no stream captures/);
    await expect(bus.publish(message('shop.events.*'))).rejects.toThrow(/not a valid subject/);
    await expect(bus.publish(message('shop..events'))).rejects.toThrow(/not a valid subject/);
    await bus.publish(message('shop.events.user.created.v1'));
    expect(bus.published()).toHaveLength(1);
    await bus.close();
  });

  test('stores copies with the message id header, a sequence and a timestamp', async () => {
    const bus = new InMemoryPubSub({ now: () => Date.parse('2030-01-02T03:04:05Z') });
    const payload = encoder.encode('original');
    const headers: Record<string, string> = { [Headers.EventType]: 'user.created' };
    const sent = message('s.a', { payload, headers });
    await bus.publish(sent);
    payload.fill(0); // the caller reuses its buffers: what was sent must not change
    headers[Headers.EventType] = 'changed';

    const got = inbox();
    await bus.subscribe({ group: 'g', subject: 's.>' }, got.handler);
    const received = await got.next();
    expect(new TextDecoder().decode(received.payload)).toBe('original');
    expect(received.headers).toEqual({ [Headers.EventType]: 'user.created', [Headers.MessageId]: sent.id });
    expect(received.streamSequence).toBe(1);
    expect(received.storedAt).toEqual(new Date('2030-01-02T03:04:05Z'));
    expect(bus.published().map((m) => m.id)).toEqual([sent.id]);
    await bus.close();
  });

  test('drops a repeated id only within the duplicate window', async () => {
    let now = 0;
    const bus = new InMemoryPubSub({ duplicateWindowMs: 1_000, now: () => now });
    const sent = message('s.a');
    await bus.publish(sent);
    now = 999;
    await bus.publish(sent);
    expect(bus.published()).toHaveLength(1);
    now = 1_000; // the window has passed: the same id is a new message again, as in JetStream
    await bus.publish(sent);
    expect(bus.published()).toHaveLength(2);
    await bus.close();
  });

  test('counts deliveries and redelivers a thrown message after defaultNakDelayMs', async () => {
    const bus = new InMemoryPubSub({ defaultNakDelayMs: 200 });
    const attempts: Array<{ count: number; at: number }> = [];
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    await bus.subscribe({ group: 'g', subject: 's.a' }, async (m) => {
      attempts.push({ count: m.deliveryCount, at: Date.now() });
      if (m.deliveryCount < 3) throw new Error('not yet');
      resolveDone();
    });
    await bus.publish(message('s.a'));
    await done;
    expect(attempts.map((a) => a.count)).toEqual([1, 2, 3]);
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(190);
    await bus.close();
  });

  test('hands a stuck handler\'s message to the group as soon as close() gives up, without waiting for the ack wait', async () => {
    const bus = new InMemoryPubSub();
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const first = inbox();
    const subscription = await bus.subscribe({ group: 'g', subject: 's.a', ackWaitMs: 60_000 }, async (m) => {
      await first.handler(m);
      await stuck;
    });
    const sent = message('s.a');
    await bus.publish(sent);
    await first.next();

    await subscription.close(50);
    const rescuer = inbox();
    await bus.subscribe({ group: 'g', subject: 's.a', ackWaitMs: 60_000 }, rescuer.handler);
    const again = await rescuer.next();
    expect(again.id).toBe(sent.id);
    expect(again.deliveryCount).toBe(2);
    release();
    await bus.close();
  });

  test('a late ack from an attempt that already timed out still settles the message', async () => {
    // Fake timers: "no third delivery ever comes" is only checkable if we own the clock.
    jest.useFakeTimers();
    try {
      const bus = new InMemoryPubSub();
      const releases: Array<() => void> = [];
      const got = inbox();
      // Unique keys, so the redelivery may run beside the stuck first attempt.
      const options = { group: 'g', subject: 's.a', ackWaitMs: 100, maxInFlight: 3, orderingKey: () => randomUUID() };
      await bus.subscribe(options, async (m) => {
        await got.handler(m);
        await new Promise<void>((resolve) => releases.push(resolve));
      });
      await bus.publish(message('s.a'));
      await jest.advanceTimersByTimeAsync(150);
      expect(got.received.map((m) => m.deliveryCount)).toEqual([1, 2]); // the ack wait ran out once

      releases[0](); // the first, timed-out attempt acks late: that settles the message
      await jest.advanceTimersByTimeAsync(1_000);
      expect(got.received.map((m) => m.deliveryCount)).toEqual([1, 2]);
      releases[1]();
      await bus.close();
    } finally {
      jest.useRealTimers();
    }
  });

  test('refuses to publish or subscribe once closed', async () => {
    const bus = new InMemoryPubSub();
    await bus.close();
    await expect(bus.publish(message('s.a'))).rejects.toThrow(/closed/);
    await expect(bus.subscribe({ group: 'g', subject: 's.a' }, async () => undefined)).rejects.toThrow(/closed/);
  });
});
