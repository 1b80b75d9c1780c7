import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';

/**
 * Budgets for the endpoints a password guesser or a sign-up bot hammers: so many attempts per
 * window from one client address, and so many per account, whatever address they come from.
 */
export interface RateLimits {
  readonly perClient: number;
  readonly perAccount: number;
  readonly windowSeconds: number;
  /** The account a request is about (say the normalised email of its body); undefined: no account budget. */
  readonly accountOf: (request: Request) => string | undefined;
}

/**
 * Express middleware that enforces {@link RateLimits}: an exhausted budget answers
 * `429 {statusCode, error, message}` with `Retry-After` (seconds) before the route runs. Apply it
 * after the body parser (Nest's `MiddlewareConsumer` does) so the account can be read from the body.
 *
 * Counters live in the process (fixed windows, one replica's view): behind N replicas the real
 * budget is up to N times larger, until a shared store (Redis, …) is given to express-rate-limit.
 */
export function rateLimits(limits: RateLimits): RequestHandler[] {
  const common = {
    windowMs: limits.windowSeconds * 1000,
    standardHeaders: false,
    legacyHeaders: false,
    handler: (request, response) => {
      const resetTime = (request as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = resetTime ? Math.ceil((resetTime.getTime() - Date.now()) / 1000) : limits.windowSeconds;
      response
        .status(429)
        .setHeader('Retry-After', String(Math.max(1, seconds)))
        .json({ statusCode: 429, error: 'Too Many Requests', message: 'Too many attempts; try again later' });
    },
  } satisfies Parameters<typeof rateLimit>[0];
  return [
    // The client address is `req.ip`: the socket's peer, or X-Forwarded-For from a trusted proxy
    // (TRUST_PROXY); IPv6 clients count per /56, as one household or host usually owns one.
    rateLimit({ ...common, limit: limits.perClient, keyGenerator: (request) => ipKeyGenerator(request.ip ?? '') }),
    rateLimit({
      ...common,
      limit: limits.perAccount,
      skip: (request) => limits.accountOf(request) === undefined,
      keyGenerator: (request) => limits.accountOf(request) ?? '',
    }),
  ];
}
