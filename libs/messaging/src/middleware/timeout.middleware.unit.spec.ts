import { describe, expect, it, jest } from '@jest/globals';
import { HandlerTimeoutError, timeout } from './timeout.middleware.js';
import { fakeReceivedMessage } from '../testing/fake-message.js';

describe('timeout middleware', () => {
  it('fails a handler that outlives its budget', async () => {
    jest.useFakeTimers();
    try {
      const handler = timeout(50)(() => new Promise(() => undefined));
      const result = handler(fakeReceivedMessage());
      jest.advanceTimersByTime(50);
      await expect(result).rejects.toBeInstanceOf(HandlerTimeoutError);
    } finally {
      jest.useRealTimers();
    }
  });

  it('returns the outcome of a handler that finishes in time', async () => {
    const handler = timeout(1_000)(async () => ({ kind: 'ack' }) as const);
    await expect(handler(fakeReceivedMessage())).resolves.toEqual({ kind: 'ack' });
  });
});
