import type { Middleware } from '../handler.js';
import { DEFAULT_ACK_WAIT_MS, keepAliveIntervalFor } from '../defaults.js';
import type { DependencyBreaker } from '../resilience/dependency-breaker.js';
import { keepAliveWhile } from './keep-alive.js';

export interface PauseWhileOpenOptions {
  /** How often a held message's ack deadline is renewed; keep it well under the ack wait. Default: `keepAliveIntervalFor` the default ack wait (5 000 ms). */
  readonly keepAliveIntervalMs?: number;
}

/**
 * Pauses a handler's consumption while the dependency it calls is down, instead of burning its
 * retries into the dead letter.
 *
 * Before each message it waits until `breaker` would let a call through (see
 * `DependencyBreaker.whenCallable`). A held message is not nak'ed, so its delivery count stays put,
 * and its ack deadline is kept alive. The subscription holds at most `maxInFlight` messages, so
 * once they are all held it stops pulling: consumption pauses. When the breaker turns half-open one
 * message goes in as the probe; when it closes, all resume.
 *
 * A call that still meets an open breaker (it opened while the handler ran) fails with
 * DependencyUnavailableError, a transient error, so the retry middleware schedules a redelivery.
 *
 * Place it inside dead letter and retry and outside `timeout`, so that time spent held is not
 * counted as handling time.
 */
export function pauseWhileOpen(breaker: DependencyBreaker, options: PauseWhileOpenOptions = {}): Middleware {
  const keepAliveIntervalMs = options.keepAliveIntervalMs ?? keepAliveIntervalFor(DEFAULT_ACK_WAIT_MS);
  return (next) => async (message) => {
    const release = await keepAliveWhile(message, breaker.whenCallable(), keepAliveIntervalMs);
    try {
      return await next(message);
    } finally {
      release();
    }
  };
}
