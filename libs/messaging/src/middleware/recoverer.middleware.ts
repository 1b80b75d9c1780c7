import type { Middleware } from '../handler.js';

/** A handler threw something that is not an Error (a string, an object, undefined). */
export class HandlerPanicError extends Error {
  constructor(readonly thrown: unknown) {
    super(`handler threw a non-Error value: ${describe(thrown)}`);
    this.name = 'HandlerPanicError';
  }
}

function describe(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

/**
 * Turns anything a handler throws, synchronously or not and even a non-Error, into a rejected
 * promise of an Error, so the middleware above can reason about it and the process never dies.
 */
export const recoverer: Middleware = (next) => async (message) => {
  try {
    return await next(message);
  } catch (thrown) {
    throw thrown instanceof Error ? thrown : new HandlerPanicError(thrown);
  }
};
