import type { Middleware } from '../handler.js';
import { DEFAULT_ACK_WAIT_MS, keepAliveIntervalFor } from '../defaults.js';
import type { DependencyBreaker } from '../resilience/dependency-breaker.js';
import { keepAliveWhile } from './keep-alive.js';

export interface PauseWhileOpenOptions {
  /** How often a held message's ack deadline is renewed; keep it well under the ack wait. Default: `keepAliveIntervalFor` the default ack wait (5 000 ms). */
  readonly keepAliveIntervalMs?: number;
  /**
   * After a failure of the dependency that left the breaker closed (it has not failed often enough
   * in a row to open), how long the message waits before it is tried again. Default 1 000 ms.
   */
  readonly retryWhileClosedMs?: number;
}

/**
 * Pauses a handler's consumption while the dependency it calls is down, instead of burning its
 * retries into the dead letter: an outage of any length spends no attempt of any message.
 *
 * Before each message it waits until `breaker` would let a call through (see
 * `DependencyBreaker.whenCallable`). A held message is not nak'ed, so its delivery count stays put,
 * and its ack deadline is kept alive. The subscription holds at most `maxInFlight` messages, so
 * once they are all held it stops pulling: consumption pauses. When the breaker turns half-open one
 * message goes in as the probe; when it closes, all resume.
 *
 * When the handler fails because of the dependency (`breaker.isDependencyFailure`: the call failed
 * or timed out and the breaker counted it, or the breaker refused it because it opened meanwhile),
 * the message is not handed to the retry middleware either: it stays held, and runs again once the
 * breaker lets a call through (after `retryWhileClosedMs` if the breaker is still closed). That
 * includes a failed half-open probe. Only failures that are the message's own (a 5xx for this one
 * recipient, a bug) go on to retry and, in the end, the dead letter. A message whose every call
 * times out the dependency therefore waits with the rest until the dependency is back.
 *
 * Place it inside dead letter and retry and outside `timeout`, so that time spent held is not
 * counted as handling time.
 */
export function pauseWhileOpen(breaker: DependencyBreaker, options: PauseWhileOpenOptions = {}): Middleware {
  const keepAliveIntervalMs = options.keepAliveIntervalMs ?? keepAliveIntervalFor(DEFAULT_ACK_WAIT_MS);
  const retryWhileClosedMs = options.retryWhileClosedMs ?? 1_000;
  return (next) => async (message) => {
    for (;;) {
      const release = await keepAliveWhile(message, breaker.whenCallable(), keepAliveIntervalMs);
      try {
        return await next(message);
      } catch (error) {
        // Once shut down, the breaker releases everyone: the service is stopping, let retry decide.
        if (!breaker.isDependencyFailure(error) || breaker.state === 'shutdown') throw error;
      } finally {
        release();
      }
      if (breaker.state === 'closed') await keepAliveWhile(message, delay(retryWhileClosedMs), keepAliveIntervalMs);
    }
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
