import { describe, expect, it } from '@jest/globals';
import { backoffDelay, retry, RetriesExhaustedError, type RetryPolicy } from './retry.middleware.js';
import { MalformedMessageError } from '../message.js';
import { fakeReceivedMessage } from '../testing/fake-message.js';

const policy: RetryPolicy = { maxAttempts: 4, initialIntervalMs: 100, multiplier: 3, maxIntervalMs: 1_000 };
const failing = async () => {
  throw new Error('smtp down');
};

describe('retry middleware', () => {
  it('grows the delay exponentially and caps it', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(policy, attempt))).toEqual([100, 300, 900, 1000, 1000]);
  });

  it('asks for a redelivery after the backoff delay instead of sleeping', async () => {
    const handler = retry(policy)(failing);
    await expect(handler(fakeReceivedMessage({ deliveryCount: 2 }))).resolves.toEqual({ kind: 'retry', delayMs: 300 });
  });

  it('gives up on the last attempt, keeping the cause', async () => {
    const handler = retry(policy)(failing);
    const error = await handler(fakeReceivedMessage({ deliveryCount: 4 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).cause).toEqual(new Error('smtp down'));
  });

  it('lets permanent errors through at once', async () => {
    const permanent = new MalformedMessageError('not json');
    const handler = retry(policy)(async () => {
      throw permanent;
    });
    await expect(handler(fakeReceivedMessage({ deliveryCount: 1 }))).rejects.toBe(permanent);
  });

  it('passes a success through untouched', async () => {
    const handler = retry(policy)(async () => undefined);
    await expect(handler(fakeReceivedMessage())).resolves.toBeUndefined();
  });
});
