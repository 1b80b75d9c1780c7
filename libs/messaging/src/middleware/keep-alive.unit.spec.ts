import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { ReceivedMessage } from '../message.js';
import { fakeReceivedMessage } from '../testing/fake-message.js';
import { keepAliveWhile } from './keep-alive.js';

describe('keepAliveWhile', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('survives a transport whose heartbeat throws (a closing connection)', async () => {
    const message: ReceivedMessage = fakeReceivedMessage({
      inProgress: () => {
        throw new Error('connection closed');
      },
    });
    let release!: (value: string) => void;
    const held = keepAliveWhile(message, new Promise<string>((resolve) => (release = resolve)), 100);
    await jest.advanceTimersByTimeAsync(350);
    release('done');
    await expect(held).resolves.toBe('done');
  });
});
