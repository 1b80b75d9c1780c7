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

  describe('failures in a row (calls made one at a time never reach a volume for a rate)', () => {
    const oneAtATime = { volumeThreshold: 1_000, consecutiveFailuresToOpen: 3, resetTimeoutMs: 1_000 } as const;
    let single: DependencyBreaker;
    afterEach(() => single.shutdown());

    it('opens after that many failures in a row; a success in between starts the count again', async () => {
      single = createDependencyBreaker('smtp', { ...oneAtATime, timeoutMs: false });
      for (const call of [connectionRefused, connectionRefused, () => Promise.resolve(), connectionRefused, connectionRefused]) {
        await single.fire(call).catch(() => undefined);
      }
      expect(single.state).toBe('closed');
      await single.fire(connectionRefused).catch(() => undefined);
      expect(single.state).toBe('open');
    });

    it('counts a timed-out call (a server that never answers) as a failure of the dependency', async () => {
      single = createDependencyBreaker('smtp', { ...oneAtATime, timeoutMs: 500 });
      const errors: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        const hung = single.fire(() => new Promise<void>(() => undefined)).catch((error: unknown) => errors.push(error));
        await jest.advanceTimersByTimeAsync(500);
        await hung;
      }
      expect(single.state).toBe('open');
      expect(errors.every((error) => single.isDependencyFailure(error))).toBe(true);
    });

    it('counts a call slower than slowCallMs as a failure, although it succeeded', async () => {
      single = createDependencyBreaker('smtp', { ...oneAtATime, timeoutMs: false, slowCallMs: 200 });
      const slowly = () => new Promise<string>((resolve) => setTimeout(() => resolve('sent'), 300));
      for (let i = 0; i < 3; i++) {
        const call = single.fire(slowly);
        await jest.advanceTimersByTimeAsync(300);
        await expect(call).resolves.toBe('sent');
      }
      expect(single.state).toBe('open');
    });
  });

  it("tells the dependency's failures (counted, or refused while open) from the caller's and from unrelated errors", async () => {
    const down = await breaker.fire(connectionRefused).catch((error: unknown) => error);
    const callerError = await breaker.fire(() => Promise.reject(new MalformedMessageError('bad address'))).catch((error: unknown) => error);
    expect(breaker.isDependencyFailure(down)).toBe(true);
    expect(breaker.isDependencyFailure(new Error('wrapped by the handler', { cause: down }))).toBe(true);
    expect(breaker.isDependencyFailure(callerError)).toBe(false);
    expect(breaker.isDependencyFailure(new Error('connect ECONNREFUSED'))).toBe(false);

    await trip(breaker);
    const refused = await breaker.fire(() => Promise.resolve()).catch((error: unknown) => error);
    expect(breaker.isDependencyFailure(refused)).toBe(true);
    expect(createDependencyBreaker('other').isDependencyFailure(refused)).toBe(false);
  });
});
