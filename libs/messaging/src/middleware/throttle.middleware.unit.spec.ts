import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { retryAfter, withMiddleware, type MessageHandler } from '../handler.js';
import { fakeReceivedMessage } from '../testing/fake-message.js';
import { throttle } from './throttle.middleware.js';

/** Lets the promise callbacks queued by a resolved timer run. */
const flush = () => jest.advanceTimersByTimeAsync(0);

describe('throttle middleware', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  function recordingHandler(): { handler: MessageHandler; handled: string[] } {
    const handled: string[] = [];
    return { handled, handler: async (message) => void handled.push(message.id) };
  }

  it('holds messages until a token is free instead of failing them', async () => {
    const { handler, handled } = recordingHandler();
    const throttled = withMiddleware(handler, throttle(2));
    const results = ['a', 'b', 'c'].map((id) => throttled(fakeReceivedMessage({ id })));
    await flush();
    expect(handled).toEqual(['a']);
    await jest.advanceTimersByTimeAsync(500);
    expect(handled).toEqual(['a', 'b']);
    await jest.advanceTimersByTimeAsync(500);
    expect(handled).toEqual(['a', 'b', 'c']);
    // Backpressure, not retry: every message was handled and acked, none asked for redelivery.
    await expect(Promise.all(results)).resolves.toEqual([undefined, undefined, undefined]);
  });

  it("passes the handler's outcome and errors through untouched", async () => {
    const failure = new Error('smtp down');
    const outcomes = throttle(1000)(async (message) => {
      if (message.id === 'boom') throw failure;
      return retryAfter(250);
    });
    await expect(outcomes(fakeReceivedMessage({ id: 'ok' }))).resolves.toEqual(retryAfter(250));
    const rejected = expect(outcomes(fakeReceivedMessage({ id: 'boom' }))).rejects.toBe(failure);
    await jest.advanceTimersByTimeAsync(1);
    await rejected;
  });

  it('keeps the ack deadline of a waiting message alive, and stops once it is handled', async () => {
    const { handler, handled } = recordingHandler();
    const throttled = withMiddleware(handler, throttle(0.1, { keepAliveIntervalMs: 1_000 }));
    const first = fakeReceivedMessage({ id: 'first', inProgress: jest.fn() });
    const second = fakeReceivedMessage({ id: 'second', inProgress: jest.fn() });
    void throttled(first);
    void throttled(second);

    await jest.advanceTimersByTimeAsync(9_500);
    expect(handled).toEqual(['first']);
    expect(first.inProgress).not.toHaveBeenCalled();
    expect(second.inProgress).toHaveBeenCalledTimes(9);

    await jest.advanceTimersByTimeAsync(500);
    expect(handled).toEqual(['first', 'second']);
    const callsWhenHandled = (second.inProgress as jest.Mock).mock.calls.length;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(second.inProgress).toHaveBeenCalledTimes(callsWhenHandled);
  });

  it('gives every wrapped handler its own bucket', async () => {
    const a = recordingHandler();
    const b = recordingHandler();
    const onePerSecond = throttle(1);
    const throttledA = onePerSecond(a.handler);
    const throttledB = onePerSecond(b.handler);
    void throttledA(fakeReceivedMessage({ id: 'a1' }));
    void throttledB(fakeReceivedMessage({ id: 'b1' }));
    void throttledA(fakeReceivedMessage({ id: 'a2' }));
    await flush();
    expect(a.handled).toEqual(['a1']);
    expect(b.handled).toEqual(['b1']);
  });

  it('rejects invalid settings when the chain is built', () => {
    expect(() => throttle(0)).toThrow(RangeError);
    expect(() => throttle(5, { burst: 0 })).toThrow(RangeError);
  });
});
