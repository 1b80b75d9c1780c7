import { retryAfter, type Middleware } from '../handler.js';
import { isPermanentError } from '../message.js';
import { type BusLogger, errorFields, silentLogger } from '../logger.js';

export interface RetryPolicy {
  /** Deliveries in all, the first one included, before the message is given up on. */
  readonly maxAttempts: number;
  readonly initialIntervalMs: number;
  readonly multiplier: number;
  readonly maxIntervalMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  initialIntervalMs: 500,
  multiplier: 2,
  maxIntervalMs: 30_000,
};

/** Delay before delivery `attempt + 1`: initial × multiplier^(attempt-1), capped. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const delay = policy.initialIntervalMs * policy.multiplier ** Math.max(0, attempt - 1);
  return Math.min(policy.maxIntervalMs, Math.round(delay));
}

/** Thrown once a message has failed `maxAttempts` deliveries; carries the last error. */
export class RetriesExhaustedError extends Error {
  constructor(
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(`gave up after ${attempts} attempts: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'RetriesExhaustedError';
  }
}

/**
 * Retries failed messages with exponential backoff by asking the broker to redeliver later (nak with
 * delay), so no handler sleeps and other messages keep flowing meanwhile. Permanent errors and the
 * last attempt's error pass through for the dead-letter middleware.
 */
export function retry(policy: RetryPolicy = defaultRetryPolicy, logger: BusLogger = silentLogger): Middleware {
  return (next) => async (message) => {
    try {
      return await next(message);
    } catch (error) {
      if (isPermanentError(error)) throw error;
      if (message.deliveryCount >= policy.maxAttempts) {
        throw new RetriesExhaustedError(message.deliveryCount, error);
      }
      const delayMs = backoffDelay(policy, message.deliveryCount);
      logger.warn('handler failed, will retry', {
        ...errorFields(error),
        messageId: message.id,
        consumer: message.consumer,
        attempt: message.deliveryCount,
        retryInMs: delayMs,
      });
      return retryAfter(delayMs);
    }
  };
}
