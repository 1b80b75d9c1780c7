import type { Middleware } from '../handler.js';
import { DEFAULT_ACK_WAIT_MS, keepAliveIntervalFor } from '../defaults.js';
import { assertBucketSettings, TokenBucket } from '../resilience/token-bucket.js';
import { keepAliveWhile } from './keep-alive.js';

export interface ThrottleOptions {
  /** Messages let through back to back after a quiet spell. Default 1: messages are evenly spaced. */
  readonly burst?: number;
  /** How often a waiting message's ack deadline is renewed; keep it well under the ack wait. Default: `keepAliveIntervalFor` the default ack wait (5 000 ms). */
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
  const keepAliveIntervalMs = options.keepAliveIntervalMs ?? keepAliveIntervalFor(DEFAULT_ACK_WAIT_MS);
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
