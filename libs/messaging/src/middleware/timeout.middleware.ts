import type { Middleware } from '../handler.js';

export class HandlerTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`handler did not finish within ${timeoutMs} ms`);
    this.name = 'HandlerTimeoutError';
  }
}

/**
 * Fails a delivery whose handler takes longer than `timeoutMs`, so one stuck call cannot hold a
 * consumer forever. The handler's own work is not cancelled (JavaScript cannot); handlers must
 * therefore be idempotent, which the inbox gives them.
 */
export function timeout(timeoutMs: number): Middleware {
  return (next) => (message) => {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HandlerTimeoutError(timeoutMs)), timeoutMs);
    });
    return Promise.race([next(message), expired]).finally(() => clearTimeout(timer));
  };
}
