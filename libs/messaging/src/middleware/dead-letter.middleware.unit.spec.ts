import { describe, expect, it } from '@jest/globals';
import { deadLetter } from './dead-letter.middleware.js';
import { retry } from './retry.middleware.js';
import { DeadLetterHeaders, type OutgoingMessage } from '../message.js';
import { MessageTooLargeError, type Publisher } from '../ports/publisher.js';
import { fakeReceivedMessage } from '../testing/fake-message.js';
import { Registry } from 'prom-client';
import { MalformedMessageError } from '../message.js';
import { MetricNames } from '../metric-names.js';
import { metricSample } from '../testing/metric-sample.js';

function recordingPublisher(fail = false): Publisher & { sent: OutgoingMessage[] } {
  const sent: OutgoingMessage[] = [];
  return {
    sent,
    async publish(message) {
      if (fail) throw new Error('nats down');
      sent.push(message);
    },
  };
}

const now = () => new Date('2026-11-23T10:00:00Z');

describe('dead-letter middleware', () => {
  it('parks a failed message with its reason and origin, then acks it', async () => {
    const publisher = recordingPublisher();
    const handler = deadLetter({ publisher, subjectPrefix: 'dlq', handler: 'send-welcome-email', now })(async () => {
      throw new TypeError('bad\nthing');
    });
    const message = fakeReceivedMessage({ deliveryCount: 5, headers: { 'Correlation-Id': 'c-1' } });

    await expect(handler(message)).resolves.toEqual({ kind: 'ack' });

    expect(publisher.sent).toHaveLength(1);
    const [parked] = publisher.sent;
    expect(parked!.subject).toBe(`dlq.${message.consumer}`);
    expect(parked!.payload).toEqual(message.payload);
    expect(parked!.headers).toMatchObject({
      'Correlation-Id': 'c-1',
      [DeadLetterHeaders.Reason]: 'TypeError: bad thing',
      [DeadLetterHeaders.OriginalSubject]: message.subject,
      [DeadLetterHeaders.Handler]: 'send-welcome-email',
      [DeadLetterHeaders.Consumer]: message.consumer,
      [DeadLetterHeaders.DeliveryCount]: '5',
      [DeadLetterHeaders.DeadLetteredAt]: '2026-11-23T10:00:00.000Z',
    });
  });

  it('never drops a message: if parking fails the error goes up for a redelivery', async () => {
    const handler = deadLetter({ publisher: recordingPublisher(true), subjectPrefix: 'dlq', handler: 'h' })(async () => {
      throw new Error('boom');
    });
    await expect(handler(fakeReceivedMessage())).rejects.toThrow('nats down');
  });

  it('parks a message too large to carry its Dlq-* headers by reference: no payload, its size and stream sequence said', async () => {
    const sent: OutgoingMessage[] = [];
    const limit = 1_000;
    const publisher: Publisher = {
      async publish(message) {
        if (message.payload.byteLength + JSON.stringify(message.headers).length > limit) {
          throw new MessageTooLargeError(message.subject, message.payload.byteLength);
        }
        sent.push(message);
      },
    };
    const handler = deadLetter({ publisher, subjectPrefix: 'dlq', handler: 'h' })(async () => {
      throw new Error('does not match the contract');
    });
    const message = fakeReceivedMessage({ payload: new Uint8Array(limit - 10), streamSequence: 77 });

    await expect(handler(message)).resolves.toEqual({ kind: 'ack' });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.payload.byteLength).toBe(0);
    expect(sent[0]!.headers).toMatchObject({
      [DeadLetterHeaders.PayloadOmitted]: String(limit - 10),
      [DeadLetterHeaders.OriginalSequence]: '77',
      [DeadLetterHeaders.Reason]: 'Error: does not match the contract',
    });
  });

  it('does nothing to a successful message', async () => {
    const publisher = recordingPublisher();
    const handler = deadLetter({ publisher, subjectPrefix: 'dlq', handler: 'h' })(async () => ({ kind: 'retry', delayMs: 5 }));
    await expect(handler(fakeReceivedMessage())).resolves.toEqual({ kind: 'retry', delayMs: 5 });
    expect(publisher.sent).toHaveLength(0);
  });

  it('records when the message first failed, across its retries in this process', async () => {
    const publisher = recordingPublisher();
    let clock = new Date('2026-11-23T10:00:00Z');
    const retryThenGiveUp = retry({ maxAttempts: 3, initialIntervalMs: 1, multiplier: 1, maxIntervalMs: 1 })(async () => {
      throw new Error('smtp down');
    });
    const handler = deadLetter({ publisher, subjectPrefix: 'dlq', handler: 'h', now: () => clock })(retryThenGiveUp);
    const first = fakeReceivedMessage({ deliveryCount: 1, storedAt: new Date('2026-11-23T09:00:00Z') });

    await expect(handler(first)).resolves.toEqual({ kind: 'retry', delayMs: 1 });
    clock = new Date('2026-11-23T10:05:00Z');
    await expect(handler({ ...first, deliveryCount: 2 })).resolves.toEqual({ kind: 'retry', delayMs: 1 });
    clock = new Date('2026-11-23T10:09:00Z');
    await expect(handler({ ...first, deliveryCount: 3 })).resolves.toEqual({ kind: 'ack' });

    expect(publisher.sent[0]!.headers).toMatchObject({
      [DeadLetterHeaders.FirstFailureAt]: '2026-11-23T10:00:00.000Z',
      [DeadLetterHeaders.DeadLetteredAt]: '2026-11-23T10:09:00.000Z',
      [DeadLetterHeaders.DeliveryCount]: '3',
    });
  });

  it('falls back to the stored time when the earlier failures happened in another process', async () => {
    const publisher = recordingPublisher();
    const handler = deadLetter({ publisher, subjectPrefix: 'dlq', handler: 'h', now })(async () => {
      throw new Error('still down');
    });
    await handler(fakeReceivedMessage({ deliveryCount: 7, storedAt: new Date('2026-11-23T09:00:00Z') }));
    await handler(fakeReceivedMessage({ deliveryCount: 1 }));
    expect(publisher.sent.map((m) => m.headers[DeadLetterHeaders.FirstFailureAt])).toEqual([
      '2026-11-23T09:00:00.000Z',
      '2026-11-23T10:00:00.000Z',
    ]);
  });

  it('counts what it parked by consumer group and reason class, and nothing it could not park', async () => {
    const registry = new Registry();
    const failing = (error: Error) => async () => {
      throw error;
    };
    const park = (publisher: Publisher) => deadLetter({ publisher, subjectPrefix: 'dlq', handler: 'h', metricsRegistry: registry });
    const consumer = 'svc__h';
    const exhausted = retry({ maxAttempts: 2, initialIntervalMs: 1, multiplier: 1, maxIntervalMs: 1 })(failing(new Error('smtp down')));

    await park(recordingPublisher())(exhausted)(fakeReceivedMessage({ consumer, deliveryCount: 2 }));
    await park(recordingPublisher())(failing(new MalformedMessageError('not json')))(fakeReceivedMessage({ consumer }));
    await park(recordingPublisher())(failing(new MalformedMessageError('not json')))(fakeReceivedMessage({ consumer }));
    await park(recordingPublisher())(failing(new Error('no retry policy')))(fakeReceivedMessage({ consumer }));
    await expect(park(recordingPublisher(true))(failing(new Error('boom')))(fakeReceivedMessage({ consumer }))).rejects.toThrow();

    const sample = (reason: string) => metricSample(registry, MetricNames.DeadLetters, { consumer, reason });
    expect(await sample('retries_exhausted')).toBe(1);
    expect(await sample('permanent')).toBe(2);
    expect(await sample('error')).toBe(1);
  });
});
