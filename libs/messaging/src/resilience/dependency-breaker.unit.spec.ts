import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { retryAfter, withMiddleware } from '../handler.js';
import { isPermanentError, MalformedMessageError } from '../message.js';
import { fakeReceivedMessage } from '../testing/fake-message.js';
import { retry } from '../middleware/retry.middleware.js';
import { createDependencyBreaker, DependencyUnavailableError, type DependencyBreaker } from './dependency-breaker.js';

/** Two calls in the window are enough to judge; one second open before the probe. */
const settings = { volumeThreshold: 2, resetTimeoutMs: 1_000, timeoutMs: false } as const;
const connectionRefused = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:25'));
async function trip(breaker: DependencyBreaker): Promise<void> {
  for (let i = 0; i < settings.volumeThreshold; i++) await breaker.fire(connectionRefused).catch(() => undefined);
  expect(breaker.state).toBe('open');
}

let breaker: DependencyBreaker;

beforeEach(() => {
  jest.useFakeTimers();
  breaker = createDependencyBreaker('smtp', settings);
});

afterEach(() => {
  breaker.shutdown();
  jest.useRealTimers();
});

describe('createDependencyBreaker', () => {
  it("passes the call's result and error through while closed", async () => {
    await expect(breaker.fire(() => Promise.resolve(42))).resolves.toBe(42);
    const failure = new Error('421 try again later');
    await expect(breaker.fire(() => Promise.reject(failure))).rejects.toBe(failure);
    expect(breaker.state).toBe('closed');
  });

  it('opens once failures cross the threshold, then fails fast without calling the dependency', async () => {
    await trip(breaker);
    const send = jest.fn(() => Promise.resolve('sent'));

    const error = await breaker.fire(send).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).dependency).toBe('smtp');
    expect(isPermanentError(error)).toBe(false);
    expect(send).not.toHaveBeenCalled();
  });

  it('classifies an open-breaker rejection as transient: the retry middleware schedules a redelivery', async () => {
    await trip(breaker);
    const policy = { maxAttempts: 5, initialIntervalMs: 500, multiplier: 2, maxIntervalMs: 30_000 };
    const handler = withMiddleware(async () => {
      await breaker.fire(() => Promise.resolve());
    }, retry(policy));

    await expect(handler(fakeReceivedMessage({ deliveryCount: 1 }))).resolves.toEqual(retryAfter(500));
  });

  it('does not count caller errors (permanent by default) against the dependency', async () => {
    for (let i = 0; i < 5; i++) {
      await expect(breaker.fire(() => Promise.reject(new MalformedMessageError('bad address')))).rejects.toThrow(
        'bad address',
      );
    }
    expect(breaker.state).toBe('closed');
  });

  it('lets one probe through after the reset timeout; its success closes the breaker', async () => {
    await trip(breaker);
    await jest.advanceTimersByTimeAsync(999);
    expect(breaker.state).toBe('open');
    await jest.advanceTimersByTimeAsync(1);
    expect(breaker.state).toBe('halfOpen');

    await expect(breaker.fire(() => Promise.resolve('ok'))).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });
});
