import { randomUUID } from 'node:crypto';
import { EVENT_SUBJECT_ROOT } from '@eventshop/contracts';
import { encodeJson, type ReceivedMessage } from '../message.js';

/** A received message for unit tests of middleware and handlers. */
export function fakeReceivedMessage(overrides: Partial<ReceivedMessage> & { json?: unknown } = {}): ReceivedMessage {
  const { json, ...rest } = overrides;
  return {
    id: randomUUID(),
    subject: `${EVENT_SUBJECT_ROOT}.test.thing-happened.v1`,
    payload: encodeJson(json ?? { hello: 'world' }),
    headers: {},
    deliveryCount: 1,
    consumer: 'test-service__handler',
    streamSequence: 1,
    storedAt: new Date('2026-01-01T00:00:00Z'),
    ...rest,
  };
}
