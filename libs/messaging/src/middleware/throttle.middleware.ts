import type { Middleware } from '../handler.js';
import type { ReceivedMessage } from '../message.js';

/**
 * A token bucket: tokens refill continuously at `ratePerSecond` up to `capacity`, and each `take()`
 * spends one. Callers that find the bucket empty wait in arrival order; one timer, set for the
 * moment the next token is due, serves the whole queue.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;
  private readonly waiting: Array<() => void> = [];
  private timer?: NodeJS.Timeout;

  /**
   * @param ratePerSecond tokens added per second; must be a positive finite number.
   * @param capacity most tokens the bucket holds, i.e. the largest burst; at least 1. It starts full.
   * @param now a monotonic clock in milliseconds.
   */
  constructor(
    readonly ratePerSecond: number,
    readonly capacity = 1,
    private readonly now: () => number = () => performance.now(),
  ) {
    assertBucketSettings(ratePerSecond, capacity);
    this.tokens = capacity;
    this.refilledAt = now();
  }

  /** Resolves once a token has been spent for this caller; callers are served first come, first served. */
  take(): Promise<void> {
    // Nobody may jump the queue, even when a token has just been refilled.
    if (this.waiting.length === 0 && this.tryTake()) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.scheduleNextToken();
    });
  }

  private tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(): void {
    const now = this.now();
    const earned = ((now - this.refilledAt) / 1000) * this.ratePerSecond;
    this.tokens = Math.min(this.capacity, this.tokens + earned);
    this.refilledAt = now;
  }

  private scheduleNextToken(): void {
    if (this.timer) return;
    // `tokens` is fresh here: every caller refilled just before.
    const msUntilToken = Math.max(1, Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.serveWaiting();
    }, msUntilToken);
  }

  private serveWaiting(): void {
    while (this.waiting.length > 0 && this.tryTake()) this.waiting.shift()?.();
    if (this.waiting.length > 0) this.scheduleNextToken();
  }
}

function assertBucketSettings(ratePerSecond: number, capacity: number): void {
  if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
    throw new RangeError(`rate must be a positive number per second, got ${ratePerSecond}`);
  }
  if (!Number.isFinite(capacity) || capacity < 1) {
    throw new RangeError(`burst capacity must be at least 1, got ${capacity}`);
  }
}

/**
 * Awaits `waiting` while renewing the message's ack deadline every `intervalMs`, so a message a
 * middleware deliberately holds back is not redelivered meanwhile. Does nothing extra for
 * transports without `inProgress`.
 */
export async function keepAliveWhile<T>(message: ReceivedMessage, waiting: Promise<T>, intervalMs: number): Promise<T> {
  if (!message.inProgress) return waiting;
  const timer = setInterval(() => {
    try {
      message.inProgress?.();
    } catch {
      // The connection is closing; the broker redelivers the message after its ack wait anyway.
    }
  }, intervalMs);
  // A held message must not keep a stopping process alive.
  timer.unref();
  try {
    return await waiting;
  } finally {
    clearInterval(timer);
  }
}

export interface ThrottleOptions {
  /** Messages let through back to back after a quiet spell. Default 1: messages are evenly spaced. */
  readonly burst?: number;
  /** How often a waiting message's ack deadline is renewed; keep it well under the ack wait. Default 5 000 ms. */
  readonly keepAliveIntervalMs?: number;
  /** Monotonic clock in milliseconds, for tests. */
  readonly now?: () => number;
}

/**
 * Lets at most `perSecond` messages per second into the handler (a token bucket of `burst` tokens
 * refilled at `perSecond`), e.g. to stay under an SMTP provider's rate limit.
 *
 * This is backpressure, not a retry: a message waits here for a token and is then handled. Nothing
 * is nak'ed, so no delivery attempts are spent; the ack deadline is renewed while it waits. As the
 * subscription holds at most `maxInFlight` messages, it stops pulling while they wait, and the
 * backlog stays in the stream.
 *
 * Every handler wrapped by the returned middleware gets its own bucket. The limit is per replica:
 * three replicas handle up to 3 × `perSecond`. Place it outside `timeout`, so that waiting for a
 * token does not count as handling time.
 *
 * @throws RangeError at once when `perSecond` is not a positive number or `burst` is below 1.
 */
export function throttle(perSecond: number, options: ThrottleOptions = {}): Middleware {
  const burst = options.burst ?? 1;
  const keepAliveIntervalMs = options.keepAliveIntervalMs ?? 5_000;
  // Fail while the chain is built, not on the first message.
  assertBucketSettings(perSecond, burst);
  return (next) => {
    const bucket = new TokenBucket(perSecond, burst, options.now);
    return async (message) => {
      await keepAliveWhile(message, bucket.take(), keepAliveIntervalMs);
      return next(message);
    };
  };
}
