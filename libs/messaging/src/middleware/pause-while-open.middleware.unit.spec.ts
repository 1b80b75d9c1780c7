import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { retryAfter, type MessageHandler, type Outcome } from '../handler.js';
import { isPermanentError } from '../message.js';
import { fakeReceivedMessage } from '../testing/fake-message.js';
import { createDependencyBreaker, type DependencyBreaker } from '../resilience/dependency-breaker.js';
import { pauseWhileOpen } from './pause-while-open.middleware.js';

/** Two calls in the window are enough to judge; one second open before the probe. */
const settings = { volumeThreshold: 2, resetTimeoutMs: 1_000, timeoutMs: false } as const;
const connectionRefused = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:25'));
/** Lets the promise callbacks queued by timers and resolutions run. */
const flush = () => jest.advanceTimersByTimeAsync(0);

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

async function trip(breaker: DependencyBreaker): Promise<void> {
  for (let i = 0; i < settings.volumeThreshold; i++) await breaker.fire(connectionRefused).catch(() => undefined);
  expect(breaker.state).toBe('open');
}

/** Starts handling a message and records how it ends, without awaiting it. */
function start(handler: MessageHandler, id: string) {
  const result: { settled?: 'resolved' | 'rejected'; outcome?: Outcome | void; error?: unknown } = {};
  void handler(fakeReceivedMessage({ id })).then(
    (outcome) => Object.assign(result, { settled: 'resolved', outcome }),
    (error: unknown) => Object.assign(result, { settled: 'rejected', error }),
  );
  return result;
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

describe('pauseWhileOpen', () => {
  /** A handler that sends through the breaker; each message's send is settled by the test. */
  function sendingHandler() {
    const pending = new Map<string, ReturnType<typeof deferred<void>>>();
    const sends = {
      get(id: string) {
        const send = pending.get(id);
        if (!send) throw new Error(`${id} has not called the dependency`);
        return send;
      },
    };
    const handled: string[] = [];
    const handler: MessageHandler = async (message) => {
      handled.push(message.id);
      const send = deferred();
      pending.set(message.id, send);
      await breaker.fire(() => send.promise);
    };
    return { handler, handled, sends };
  }

  it('calls the handler at once while the breaker is closed', async () => {
    const inProgress = jest.fn();
    const next = jest.fn(async () => retryAfter(10));
    const handler = pauseWhileOpen(breaker, { keepAliveIntervalMs: 100 })(next);

    await expect(handler(fakeReceivedMessage({ inProgress }))).resolves.toEqual(retryAfter(10));
    expect(next).toHaveBeenCalledTimes(1);
    expect(inProgress).not.toHaveBeenCalled();
  });

  it('holds messages while open, keeping their ack deadline alive instead of asking for redelivery', async () => {
    await trip(breaker);
    const next = jest.fn(async () => undefined);
    const inProgress = jest.fn();
    const handler = pauseWhileOpen(breaker, { keepAliveIntervalMs: 200 })(next);

    let settled = false;
    void handler(fakeReceivedMessage({ inProgress })).finally(() => (settled = true));
    await jest.advanceTimersByTimeAsync(900);

    expect(next).not.toHaveBeenCalled();
    expect(settled).toBe(false);
    expect(inProgress).toHaveBeenCalledTimes(4);
  });

  it("lets exactly one probe in on half-open, and resumes the rest once it closes the breaker", async () => {
    await trip(breaker);
    const { handler, handled, sends } = sendingHandler();
    const paused = pauseWhileOpen(breaker)(handler);
    const results = ['a', 'b', 'c'].map((id) => start(paused, id));

    await jest.advanceTimersByTimeAsync(1_000);
    expect(breaker.state).toBe('halfOpen');
    expect(handled).toEqual(['a']);

    sends.get('a').resolve();
    await flush();
    expect(breaker.state).toBe('closed');
    expect(handled).toEqual(['a', 'b', 'c']);

    sends.get('b').resolve();
    sends.get('c').resolve();
    await flush();
    expect(results.map((r) => r.settled)).toEqual(['resolved', 'resolved', 'resolved']);
  });

  it('holds the probe too when it fails (no redelivery, no attempt spent), and probes again at the next half-open', async () => {
    await trip(breaker);
    const { handler, handled, sends } = sendingHandler();
    const paused = pauseWhileOpen(breaker)(handler);
    const results = ['a', 'b'].map((id) => start(paused, id));

    await jest.advanceTimersByTimeAsync(1_000);
    sends.get('a').reject(new Error('connect ECONNREFUSED'));
    await flush();
    expect(breaker.state).toBe('open');
    expect(results.map((r) => r.settled)).toEqual([undefined, undefined]);
    expect(handled).toEqual(['a']);

    await jest.advanceTimersByTimeAsync(999);
    expect(handled).toEqual(['a']);
    await jest.advanceTimersByTimeAsync(1);
    // One of the two held messages is the next probe.
    expect(handled).toHaveLength(2);

    const [probe, other] = handled[1] === 'a' ? ['a', 'b'] : ['b', 'a'];
    sends.get(probe).resolve();
    await flush();
    expect(breaker.state).toBe('closed');
    expect(handled).toEqual(['a', probe, other]);
    sends.get(other).resolve();
    await flush();
    expect(results.map((r) => r.settled)).toEqual(['resolved', 'resolved']);
  });

  it('holds a message whose call failed while the breaker stayed closed, and runs it again shortly, keeping it alive', async () => {
    const inProgress = jest.fn();
    let calls = 0;
    const paused = pauseWhileOpen(breaker, { keepAliveIntervalMs: 100, retryWhileClosedMs: 500 })(async () => {
      calls++;
      await breaker.fire(calls === 1 ? connectionRefused : () => Promise.resolve());
    });
    let settled = false;
    void paused(fakeReceivedMessage({ inProgress })).then(() => (settled = true));
    await flush();
    expect(breaker.state).toBe('closed');
    expect(calls).toBe(1);

    await jest.advanceTimersByTimeAsync(499);
    expect(calls).toBe(1);
    expect(inProgress).toHaveBeenCalledTimes(4);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    expect(settled).toBe(true);
  });

  it('holds a message whose call met a breaker that opened meanwhile', async () => {
    let calls = 0;
    const paused = pauseWhileOpen(breaker)(async () => {
      calls++;
      // Another handler's failures open the breaker between this message's admission and its call.
      if (calls === 1) await trip(breaker);
      await breaker.fire(() => Promise.resolve());
    });
    const result = start(paused, 'a');
    await flush();
    expect(result.settled).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(2);
    expect(result.settled).toBe('resolved');
  });

  it("passes the message's own failures on (to retry and the dead letter): they are not the dependency's", async () => {
    const refused = Object.assign(new Error('550 no such mailbox'), { responseCode: 550 });
    const strict = createDependencyBreaker('smtp', { ...settings, isCallerError: (error) => error === refused });
    const bug = new TypeError('undefined is not a function');
    try {
      for (const failure of [refused, bug]) {
        const paused = pauseWhileOpen(strict)(async () => {
          if (failure === refused) await strict.fire(() => Promise.reject(refused));
          else throw failure;
        });
        await expect(paused(fakeReceivedMessage())).rejects.toBe(failure);
      }
      expect(strict.state).toBe('closed');
    } finally {
      strict.shutdown();
    }
  });

  it('hands the probe on when the admitted message never called the dependency', async () => {
    await trip(breaker);
    const sent: string[] = [];
    const paused = pauseWhileOpen(breaker)(async (message) => {
      // The first message turns out to be a duplicate and sends nothing.
      if (message.id === 'duplicate') return;
      await breaker.fire(async () => void sent.push(message.id));
    });
    const results = ['duplicate', 'b', 'c'].map((id) => start(paused, id));

    await jest.advanceTimersByTimeAsync(1_000);

    expect(sent).toEqual(['b', 'c']);
    expect(breaker.state).toBe('closed');
    expect(results.map((r) => r.settled)).toEqual(['resolved', 'resolved', 'resolved']);
  });

  it('releases held messages on shutdown; their calls then fail fast as transient errors', async () => {
    await trip(breaker);
    const { handler, handled } = sendingHandler();
    const result = start(pauseWhileOpen(breaker)(handler), 'a');
    await flush();
    expect(handled).toEqual([]);

    breaker.shutdown();
    await flush();

    expect(handled).toEqual(['a']);
    expect(result.settled).toBe('rejected');
    expect(isPermanentError(result.error)).toBe(false);
  });
});
