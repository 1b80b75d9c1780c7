import type { DependencyBreaker } from '@eventshop/messaging';
import type { Mailer, OutgoingEmail } from '../domain/mailer.port.js';

/** The name the SMTP breaker is registered under; mail handlers pause while it is open. */
export const SMTP_DEPENDENCY = 'smtp';

/**
 * Sends through the SMTP circuit breaker: once the SMTP server keeps failing, sends fail fast
 * (a transient error, so the message is retried, never dead-lettered) and the mail handlers pause
 * (`pauseWhileDown: SMTP_DEPENDENCY`) until a half-open probe succeeds.
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
