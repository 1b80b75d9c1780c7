import { createDependencyBreaker, type DependencyBreaker } from '@eventshop/messaging';
import type { Mailer, OutgoingEmail } from '../domain/mailer.port.js';

/** The name the SMTP breaker is registered under; mail handlers pause while it is open. */
export const SMTP_DEPENDENCY = 'smtp';

/**
 * The SMTP server refused this one message with a permanent (5xx) reply, such as "550 no such
 * mailbox": the server is up and judged the message, so it is the message's failure (retried, then
 * dead-lettered), not the server's. Connection errors, timeouts and 4xx replies are the server's.
 */
export function isRefusedBySmtp(error: unknown): boolean {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/**
 * The SMTP circuit breaker: a few failed, timed-out or slow sends in a row open it (sends go one at
 * a time, so a failure rate would never reach its volume); a refusal of one message does not count.
 */
export function createSmtpBreaker(settings: { readonly timeoutMs: number; readonly resetTimeoutMs: number }): DependencyBreaker {
  return createDependencyBreaker(SMTP_DEPENDENCY, {
    consecutiveFailuresToOpen: 3,
    slowCallMs: settings.timeoutMs,
    // A backstop for a server that keeps the socket busy without ever finishing; the SMTP client's
    // own timeouts (each `timeoutMs`) normally end a send first.
    timeoutMs: 3 * settings.timeoutMs,
    resetTimeoutMs: settings.resetTimeoutMs,
    isCallerError: isRefusedBySmtp,
  });
}

/**
 * Sends through the SMTP circuit breaker: once the SMTP server keeps failing, sends fail fast and
 * the mail handlers pause (`pauseWhileDown: SMTP_DEPENDENCY`) — their messages wait, spending no
 * attempt, until a half-open probe succeeds.
 */
export class BreakerGuardedMailer implements Mailer {
  constructor(
    private readonly mailer: Mailer,
    private readonly breaker: DependencyBreaker,
  ) {}

  send(email: OutgoingEmail): Promise<void> {
    return this.breaker.fire(() => this.mailer.send(email));
  }
}
